import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { DURATION_EXAMPLES, parseDuration } from './duration.js'
import { SluiceError } from './errors.js'
import { parseYamlWith } from './yaml.js'

const positiveDuration = z.string().refine((s) => (parseDuration(s) ?? 0) > 0, {
  message: `a duration such as 500ms or ${DURATION_EXAMPLES}`,
})

/** The project's `sluice.yaml`. Every section is optional; with no file at all the defaults apply. */
export const configSchema = z.strictObject({
  /** Folder that holds all state (database, artifacts). Relative to the config file. */
  home: z.string().min(1).optional(),
  store: z
    .strictObject({
      backend: z.enum(['sqlite']).default('sqlite'),
      /** SQLite database file; default `<home>/sluice.db`. */
      path: z.string().min(1).optional(),
    })
    .default({ backend: 'sqlite' }),
  artifacts: z
    .strictObject({
      backend: z.enum(['fs']).default('fs'),
      /** Root folder of the content-addressed store; default `<home>/artifacts`. */
      path: z.string().min(1).optional(),
    })
    .default({ backend: 'fs' }),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8321),
      /** Largest JSON request body of the REST API in megabytes (after decoding); larger: 413. */
      max_json_mb: z.number().positive().default(1),
      /** Largest upload (artifact, dataset) in gigabytes (after decoding); larger: 413. */
      max_upload_gb: z.number().positive().default(16),
      /** A connection on which the client sends nothing for this long, mid-request or between requests, is closed. */
      idle_timeout: positiveDuration.default('60s'),
      /** A request's headers must have arrived within this time of its first byte. */
      headers_timeout: positiveDuration.default('60s'),
      /** A JSON request body must have arrived within this time of the request's headers. */
      body_timeout: positiveDuration.default('60s'),
      /** Uploads (artifacts, datasets) taken at once; more are answered 503 with Retry-After. */
      max_uploads: z.number().int().positive().default(4),
      /**
       * Host names the REST API answers under besides localhost, 127.0.0.1 and [::1] (and the
       * address it binds): a request whose Host is another name is refused (DNS rebinding).
       * `*` allows any (only behind a proxy that checks Host itself).
       */
      allowed_hosts: z.array(z.string().min(1).max(253)).default([]),
    })
    .default({
      host: '127.0.0.1',
      port: 8321,
      max_json_mb: 1,
      max_upload_gb: 16,
      idle_timeout: '60s',
      headers_timeout: '60s',
      body_timeout: '60s',
      max_uploads: 4,
      allowed_hosts: [],
    }),
  /** The REST API's settings for browsers. */
  api: z
    .strictObject({
      /** Web origins (`https://dash.example.com`) whose pages may call the REST API (CORS); none by default. */
      cors_origins: z
        .array(
          z.string().refine((s) => originOf(s) !== null, {
            message: 'an origin such as https://dash.example.com (scheme, host and port only)',
          }),
        )
        .default([]),
    })
    .default({ cors_origins: [] }),
  /** The model server's limits (`sluice serve`, `sluice server`). */
  serving: z
    .strictObject({
      /** Largest request body in megabytes; a larger one is answered 413. */
      max_body_mb: z.number().positive().default(8),
      /** Longest a request waits for the model, e.g. `30s` or `500ms`; beyond it, 504. */
      timeout: z
        .string()
        .refine((s) => (parseDuration(s) ?? 0) > 0, {
          message: `a duration such as 500ms or ${DURATION_EXAMPLES}`,
        })
        .default('30s'),
      /** Requests in flight per deployment beyond which new ones are shed with 503 and Retry-After. */
      max_in_flight: z.number().int().positive().default(512),
      /** Prediction records held for monitoring before new ones are dropped (and counted). */
      stream_capacity: z.number().int().positive().default(10_000),
      /** Small linear models run in sluice's JavaScript kernel (checked against onnxruntime at load); false: onnxruntime only. */
      kernel: z.boolean().default(true),
      /** Refuse an infer input declared in a datatype other than the model's (Triton's rule); false converts it. */
      strict_datatypes: z.boolean().default(false),
      /** Who may call inference: `none` anyone who reaches the port, `token` any valid API token. */
      auth: z.enum(['none', 'token']).default('none'),
    })
    .default({
      max_body_mb: 8,
      timeout: '30s',
      max_in_flight: 512,
      stream_capacity: 10_000,
      kernel: true,
      strict_datatypes: false,
      auth: 'none',
    }),
  /** Pipeline stages; validated by the pipeline module (src/pipeline/spec.ts). */
  stages: z.unknown().optional(),
  /** Quality-gate rules; validated by the gates module. */
  gates: z.unknown().optional(),
})

export type ConfigFile = z.output<typeof configSchema>

export interface ResolvedConfig {
  /** Absolute path of the home folder. */
  home: string
  /** Where the home came from, for messages: `--home`, `SLUICE_HOME`, `home: in FILE` or `the default home`. */
  homeFrom: string
  /** The config file that was read, or null when the defaults were used. */
  file: string | null
  store: { backend: 'sqlite'; path: string }
  artifacts: { backend: 'fs'; path: string }
  server: {
    host: string
    port: number
    maxJsonBytes: number
    maxUploadBytes: number
    idleTimeoutMs: number
    headersTimeoutMs: number
    bodyTimeoutMs: number
    maxUploads: number
    /** Lower case. */
    allowedHosts: string[]
  }
  api: {
    /** As `URL.origin` writes them. */
    corsOrigins: string[]
  }
  serving: {
    maxBodyBytes: number
    timeoutMs: number
    maxInFlight: number
    streamCapacity: number
    kernel: boolean
    strictDatatypes: boolean
    auth: 'none' | 'token'
  }
}

export const CONFIG_FILE = 'sluice.yaml'
export const DEFAULT_HOME = '.sluice'

export interface ConfigSources {
  cwd: string
  /** `--home DIR` from the command line: wins over everything. */
  home?: string | undefined
  /** `--config FILE`: a config file other than `./sluice.yaml`. */
  configFile?: string | undefined
  env?: NodeJS.ProcessEnv
}

/** Home: `--home` > `SLUICE_HOME` > `home:` in sluice.yaml > `./.sluice`. */
export function loadConfig(sources: ConfigSources): ResolvedConfig {
  const env = sources.env ?? process.env
  const file = sources.configFile
    ? path.resolve(sources.cwd, sources.configFile)
    : path.join(sources.cwd, CONFIG_FILE)
  let parsed: ConfigFile
  let used: string | null = null
  if (existsSync(file)) {
    parsed = parseYamlWith(configSchema, readFileSync(file, 'utf8'), path.relative(sources.cwd, file) || file)
    used = file
  } else if (sources.configFile) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `config file ${file} does not exist; check the --config path or drop the flag to use ./sluice.yaml`,
    )
  } else {
    parsed = configSchema.parse({})
  }
  const base = used ? path.dirname(used) : sources.cwd
  const [home, homeFrom] = sources.home
    ? [path.resolve(sources.cwd, sources.home), '--home']
    : env.SLUICE_HOME
      ? [path.resolve(sources.cwd, env.SLUICE_HOME), 'SLUICE_HOME']
      : parsed.home
        ? [path.resolve(base, parsed.home), `home: in ${path.relative(sources.cwd, used!) || used}`]
        : [path.resolve(base, DEFAULT_HOME), 'the default home']
  return {
    home,
    homeFrom,
    file: used,
    store: {
      backend: parsed.store.backend,
      path: path.resolve(base, parsed.store.path ?? path.join(home, 'sluice.db')),
    },
    artifacts: {
      backend: parsed.artifacts.backend,
      path: path.resolve(base, parsed.artifacts.path ?? path.join(home, 'artifacts')),
    },
    server: {
      host: parsed.server.host,
      port: parsed.server.port,
      maxJsonBytes: Math.round(parsed.server.max_json_mb * 2 ** 20),
      maxUploadBytes: Math.round(parsed.server.max_upload_gb * 2 ** 30),
      idleTimeoutMs: parseDuration(parsed.server.idle_timeout)!,
      headersTimeoutMs: parseDuration(parsed.server.headers_timeout)!,
      bodyTimeoutMs: parseDuration(parsed.server.body_timeout)!,
      maxUploads: parsed.server.max_uploads,
      allowedHosts: parsed.server.allowed_hosts.map((h) => h.toLowerCase()),
    },
    api: { corsOrigins: parsed.api.cors_origins.map((o) => originOf(o)!) },
    serving: {
      maxBodyBytes: Math.round(parsed.serving.max_body_mb * 1024 * 1024),
      timeoutMs: parseDuration(parsed.serving.timeout)!,
      maxInFlight: parsed.serving.max_in_flight,
      streamCapacity: parsed.serving.stream_capacity,
      kernel: parsed.serving.kernel,
      strictDatatypes: parsed.serving.strict_datatypes,
      auth: parsed.serving.auth,
    },
  }
}

/** `https://a.example:8443/` → `https://a.example:8443`; null for what is not an http(s) origin alone. */
function originOf(s: string): string | null {
  try {
    const url = new URL(s)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    if (url.pathname !== '/' || url.search || url.hash || url.username) return null
    return url.origin
  } catch {
    return null
  }
}

// Bundles the CLI into one ESM file (dist/bundle/cli.mjs). Loading one file instead of hundreds of
// small modules halves the CLI's start-up time. Native addons stay external.
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

rmSync('dist/bundle', { recursive: true, force: true })

await build({
  // Worker scripts are entries of their own, named as the modules that start them look them up.
  entryPoints: {
    cli: 'src/cli/main.ts',
    'load-worker': 'src/data/load-worker.ts',
    'drift-worker': 'src/drift/drift-worker.ts',
    'gbdt-worker': 'src/models/gbdt/gbdt-worker.ts',
    'predict-worker': 'src/models/predict-worker.ts',
  },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  sourcemap: true,
  external: ['better-sqlite3', 'onnxruntime-node'],
  // Some dependencies are CommonJS and call require(); give the bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [zodWithoutLocales()],
})

/**
 * zod's classic API re-exports all 60-odd message locales (370 KB) as `z.locales`; sluice uses the
 * English messages only (which zod imports on its own). Leaving the rest out saves every CLI start
 * parsing them.
 */
function zodWithoutLocales() {
  return {
    name: 'zod-without-locales',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        args.importer.includes(`${'node_modules'}/zod/`)
          ? { path: 'zod-locales', namespace: 'stub' }
          : undefined,
      )
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export {}', loader: 'js' }))
    },
  }
}

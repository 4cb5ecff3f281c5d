import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import { SluiceError } from '../core/errors.js'

export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

/** Answers a request straight from Node's objects (true), or leaves it to the app (false). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean

/** How long a client may keep the server waiting (`server.idle_timeout`, `server.headers_timeout`). */
export interface ClientTimeouts {
  /** Nothing received for this long while a request is on its way, or before the first: closed. */
  idleMs: number
  /** A request's headers must be complete this long after its first byte. */
  headersMs: number
}

export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = { idleMs: 60_000, headersMs: 60_000 }

/**
 * Listens on host:port (port 0 picks a free one) and resolves once the socket is bound. A fast
 * path, when given, sees each request first (the model server's inference routes). A port that
 * is taken, or not ours to bind, is a SluiceError.
 */
export function listen(
  app: Hono,
  host: string,
  port: number,
  fastPath?: FastPath,
  timeouts: ClientTimeouts = DEFAULT_CLIENT_TIMEOUTS,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const toApp = getRequestListener(app.fetch)
    const server = createServer(
      {
        // No limit on a whole request's time: that would end large uploads. Slow clients are cut
        // off by the idle timeout instead, and headers must arrive in time.
        requestTimeout: 0,
        headersTimeout: timeouts.headersMs,
        connectionsCheckingInterval: Math.min(30_000, timeouts.headersMs),
      },
      (req, res) => {
        idleWhileReceiving(req, timeouts.idleMs)
        if (!fastPath?.(req, res)) void toApp(req, res)
      },
    )
    // Until a request arrives (and for a request's headers), a silent connection is closed.
    server.setTimeout(timeouts.idleMs)
    // A client may send its request and then close its sending side (`nc -N`, HTTP/1.0 scripts).
    // By default Node then aborts the request and ends the connection, losing any answer not yet
    // written, and answers wait for the end of the turn. With this (undocumented, but kept and
    // tested by Node itself) the answer in progress is written and the connection ends after it.
    ;(server as typeof server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true
    server.listen(port, host, () => {
      const info = server.address() as AddressInfo
      const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address
      resolve({
        url: `http://${shownHost}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
    server.once('error', (e: NodeJS.ErrnoException) => reject(bindError(e, host, port)))
  })
}

/**
 * The idle timeout runs while the client owes bytes: until the request's body has all arrived.
 * While the server works on its answer the client is silent by right, so the timer stops then;
 * Node's keep-alive timeout takes over once the answer is written.
 */
function idleWhileReceiving(req: IncomingMessage, idleMs: number): void {
  const socket = req.socket
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  if (!hasBody) {
    socket.setTimeout(0)
    return
  }
  socket.setTimeout(idleMs)
  req.once('end', () => socket.setTimeout(0))
}

function bindError(e: NodeJS.ErrnoException, host: string, port: number): unknown {
  if (e.code === 'EADDRINUSE')
    return new SluiceError(
      'USAGE',
      `port ${port} on ${host} is already in use (by another sluice server?); choose another with --port or server.port`,
      { cause: e },
    )
  if (e.code === 'EACCES')
    return new SluiceError(
      'USAGE',
      `port ${port} on ${host} needs privileges this process does not have; choose a port above 1023 with --port or server.port`,
      { cause: e },
    )
  if (e.code === 'EADDRNOTAVAIL')
    return new SluiceError(
      'USAGE',
      `${host} is not an address of this machine; choose one it has with --host or server.host (127.0.0.1 for this machine only)`,
      { cause: e },
    )
  return e
}

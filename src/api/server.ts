import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'

export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

/** Answers a request straight from Node's objects (true), or leaves it to the app (false). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * Listens on host:port (port 0 picks a free one) and resolves once the socket is bound. A fast
 * path, when given, sees each request first (the model server's inference routes).
 */
export function listen(app: Hono, host: string, port: number, fastPath?: FastPath): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const toApp = getRequestListener(app.fetch)
    const server = createServer((req, res) => {
      if (!fastPath?.(req, res)) void toApp(req, res)
    })
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
    server.once('error', reject)
  })
}

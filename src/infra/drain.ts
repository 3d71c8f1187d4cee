/**
 * Shutting down drains. On close the listener stops (new connections are refused) and requests in
 * flight run to their end. Two things Fastify and Node leave to us:
 * - A connection whose response was still going out when the close began would then stay open for
 *   the keep-alive timeout (72 s) and hold the close that long. Once closing, the keep-alive timeout
 *   drops to its least, so Node itself ends each such connection as soon as it falls idle (after
 *   its response, and any request pipelined behind it, have gone out).
 * - A request that arrives meanwhile on an open connection is answered as usual (with
 *   `Connection: close`, which Fastify adds), rather than with Fastify's own 503 body, which has
 *   neither the envelope nor a trace id (`return503OnClosing: false` in app.ts).
 * Nothing here runs per request.
 */
import type { FastifyInstance } from 'fastify'

/**
 * How long a stopping server waits for requests in flight before it gives up and exits 1: shorter
 * than the 10 s Docker (and Compose) give a container between SIGTERM and SIGKILL, so the process
 * ends on its own terms, with its log line, rather than killed.
 */
export const DRAIN_DEADLINE_MS = 8000

export function installDrain (app: FastifyInstance): void {
  app.addHook('preClose', (done) => {
    // 0 would mean "never time out": 1 ms is the shortest (Node adds its own small margin).
    app.server.keepAliveTimeout = 1
    done()
  })
}

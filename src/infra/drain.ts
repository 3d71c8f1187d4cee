/**
 * Shutting down drains. On close the listener stops (new connections are refused) and requests in
 * flight run to their end. Two things Fastify and Node leave to us:
 * - A connection whose response was still going out when the close began would then idle for the
 *   keep-alive timeout (72 s) and hold the close that long: it is closed as soon as its response
 *   has gone.
 * - A request that arrives meanwhile on an open keep-alive connection is answered as usual (with
 *   `Connection: close`, which Fastify adds), rather than with Fastify's own 503 body, which has
 *   neither the envelope nor a trace id (`return503OnClosing: false` in app.ts).
 */
import { type FastifyInstance } from 'fastify'

export function installDrain (app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) app.server.closeIdleConnections()
    done()
  })
}

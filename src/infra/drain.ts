/**
 * Shutting down drains. On close the listener stops (new connections are refused) and requests in
 * flight run to their end. What Fastify and Node leave to us:
 * - A connection whose response was still going out when the close began would then stay open for
 *   the keep-alive timeout (72 s) and hold the close that long. Once closing, the keep-alive timeout
 *   drops to its least, so Node itself ends each such connection as soon as it falls idle (after
 *   its response, and any request pipelined behind it, have gone out).
 * - A connection on which nothing is being answered when the close begins is ended then: idle, or
 *   carrying a request whose line or headers never finished (Node would wait for its headers
 *   timeout, a minute). A request whose body is still arriving is given until the client stalls
 *   for a second. Hostile or broken clients must not hold a shutdown; the emulator owes them
 *   nothing yet.
 * - A request that arrives meanwhile on an open connection is answered as usual (with
 *   `Connection: close`, which Fastify adds), rather than with Fastify's own 503 body, which has
 *   neither the envelope nor a trace id (`return503OnClosing: false` in app.ts).
 * Nothing here runs per request: the connections are known from the server's `connection` event.
 */
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'

/**
 * How long a stopping server waits for requests in flight before it gives up and exits 1: shorter
 * than the 10 s Docker (and Compose) give a container between SIGTERM and SIGKILL, so the process
 * ends on its own terms, with its log line, rather than killed.
 */
export const DRAIN_DEADLINE_MS = 8000

/** How long a request body that is still arriving may stall once the close has begun. */
export const STALLED_BODY_MS = 1000

export function installDrain (app: FastifyInstance): void {
  const connections = new Set<Socket>()
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket)
    socket.once('close', () => connections.delete(socket))
  })
  app.addHook('preClose', (done) => {
    // 0 would mean "never time out": 1 ms is the shortest (Node adds its own small margin).
    app.server.keepAliveTimeout = 1
    for (const socket of connections) {
      // The answer Node is writing on this connection, if any (upgraded sockets keep theirs: the
      // WebSocket plugin and ws close those).
      const answer = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
      if (answer === null || answer === undefined) socket.destroy()
      else if (!answer.req.complete) socket.setTimeout(STALLED_BODY_MS, () => { socket.destroy() })
    }
    done()
  })
}

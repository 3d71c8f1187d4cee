/**
 * Connection faults, on API responses and file downloads alike:
 * - before the handler runs: `reset` (a TCP reset) and `hang` (no answer until the client gives up);
 * - on the response the handler produced: `malformed-json` (a complete HTTP answer whose body
 *   does not parse), `truncate` (the full Content-Length announced, part of the body sent, then the
 *   connection closed) and `dribble` (the whole body, slowly, in pieces).
 * Waits follow the emulator clock, so a manual clock holds a dribbled body until it is advanced.
 * Through `inject` (no socket), a reset or a hang ends the injected request with an error instead.
 */
import type { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../domain/clock.ts'
import type { Fault } from '../domain/scenarios/model.ts'

/** Answers left hanging on purpose, closed when the app closes. */
export type HangingAnswers = Set<ServerResponse>

/** Faults that act before the handler; true when the request was taken over. */
export function faultBeforeHandler (fault: Fault, request: FastifyRequest, reply: FastifyReply, hanging: HangingAnswers): boolean {
  if (fault.type === 'reset') {
    reply.hijack()
    const socket = request.raw.socket
    // A TCP RST on a real socket; inject's mock socket has none, and its response ends in an error.
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
    else reply.raw.destroy()
    return true
  }
  if (fault.type === 'hang') {
    reply.hijack()
    hanging.add(reply.raw)
    reply.raw.once('close', () => hanging.delete(reply.raw))
    return true
  }
  return false
}

/** Faults that act on the response body (string or Buffer): returns the payload Fastify sends instead. */
export function faultOnPayload (fault: Fault, payload: string | Buffer, request: FastifyRequest, reply: FastifyReply, clock: Clock): Buffer | Readable {
  const body = Buffer.from(payload)
  if (fault.type === 'malformed-json') {
    // Half a document, framed correctly: the HTTP exchange completes, the parse fails.
    reply.removeHeader('content-length')
    return body.subarray(0, Math.floor(body.length / 2))
  }
  reply.header('content-length', body.length)
  if (fault.type === 'truncate') {
    const sent = Math.min(fault.bytes ?? Math.floor(body.length / 2), Math.max(0, body.length - 1))
    return Readable.from((async function * () {
      yield body.subarray(0, sent)
      // Let the bytes leave, then close mid-body.
      await new Promise((resolve) => setImmediate(resolve))
      request.raw.socket.destroy()
    })())
  }
  // dribble: the whole body, in `chunks` pieces spread over `duration` of emulator time.
  const size = Math.max(1, Math.ceil(body.length / fault.chunks))
  const pause = fault.durationMs / fault.chunks
  return Readable.from((async function * () {
    for (let offset = 0; offset < body.length; offset += size) {
      if (offset > 0) await clock.sleep(pause)
      yield body.subarray(offset, offset + size)
    }
  })())
}

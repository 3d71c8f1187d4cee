/**
 * Connection faults, on API responses and file downloads alike:
 * - before the handler runs: `reset` (a TCP reset) and `hang` (no answer until the client gives up);
 * - on the response the handler produced: `malformed-json` (a complete HTTP answer whose body
 *   does not parse), `truncate` (the full Content-Length announced, part of the body sent, then the
 *   connection closed) and `dribble` (the whole body, slowly, in pieces).
 * Waits follow the emulator clock, so a manual clock holds a dribbled body until it is advanced.
 */
import { type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { type FastifyReply, type FastifyRequest } from 'fastify'
import { type Clock } from '../domain/clock.ts'
import { type Fault } from '../domain/scenarios/model.ts'

/** Sockets left hanging on purpose, closed when the app closes. */
export type HangingSockets = Set<Socket>

/** Faults that act before the handler; true when the request was taken over. */
export function faultBeforeHandler (fault: Fault, request: FastifyRequest, reply: FastifyReply, hanging: HangingSockets): boolean {
  const socket = request.raw.socket
  if (fault.type === 'reset') {
    reply.hijack()
    // A TCP RST where the platform can (Node ≥ 16.17); inject's fake socket just closes.
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
    else socket.destroy()
    return true
  }
  if (fault.type === 'hang') {
    reply.hijack()
    hanging.add(socket)
    socket.once('close', () => hanging.delete(socket))
    return true
  }
  return false
}

/** Faults that act on the response body: returns the payload Fastify sends instead. */
export async function faultOnPayload (fault: Fault, payload: unknown, request: FastifyRequest, reply: FastifyReply, clock: Clock): Promise<unknown> {
  const body = await bytesOf(payload)
  reply.removeHeader('content-length')
  switch (fault.type) {
    case 'malformed-json':
      // Half a document, framed correctly: the HTTP exchange completes, the parse fails.
      return body.subarray(0, Math.floor(body.length / 2))
    case 'truncate': {
      const sent = Math.min(fault.bytes ?? Math.floor(body.length / 2), Math.max(0, body.length - 1))
      reply.header('content-length', body.length)
      return Readable.from((async function * () {
        yield body.subarray(0, sent)
        // Let the bytes leave, then close mid-body.
        await new Promise((resolve) => setImmediate(resolve))
        request.raw.socket.destroy()
      })())
    }
    case 'dribble': {
      reply.header('content-length', body.length)
      const size = Math.max(1, Math.ceil(body.length / fault.chunks))
      const pause = fault.durationMs / fault.chunks
      return Readable.from((async function * () {
        for (let offset = 0; offset < body.length; offset += size) {
          if (offset > 0) await clock.sleep(pause)
          yield body.subarray(offset, offset + size)
        }
      })())
    }
    default:
      return payload
  }
}

async function bytesOf (payload: unknown): Promise<Buffer> {
  if (payload === null || payload === undefined) return Buffer.alloc(0)
  if (typeof payload === 'string') return Buffer.from(payload)
  if (Buffer.isBuffer(payload)) return payload
  const chunks: Buffer[] = []
  for await (const chunk of payload as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

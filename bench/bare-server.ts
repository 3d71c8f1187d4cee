/**
 * The servers tripo-mock is measured against, started by bench/run.ts with the bodies tripo-mock
 * sends in BARE_BODIES (a JSON file path), on BARE_PORT, in one of two modes (BARE_MODE):
 *
 * - `static` (the default), the ceiling: a bare Fastify server that answers the benchmarked routes
 *   with the same static bodies, and nothing else (no auth, no trace id, no logging, no schema).
 * - `reference`: the same routes with only what an emulator built like tripo-mock pays before it
 *   emulates anything: a pino logger at the emulator's level, a random UUID trace id sent on every
 *   answer, hooks in the lifecycle slots the emulator uses (they do nothing), and task creation
 *   that keeps each task (a UUID, the parsed body, the time) in a Map so that it could be read
 *   later. Where the reference itself is at or under a bar, the emulator's own work would have to
 *   cost nothing to reach it.
 */
// Both keep Node's tick objects on their fast path too (src/infra/tick-shape.ts), so that neither is slowed by what the emulator avoids.
import '../src/infra/tick-shape.ts'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import Fastify, { type FastifyReply, type FastifyRequest, type HookHandlerDoneFunction } from 'fastify'
import { TRACE_HEADER } from '../src/infra/error-handler.ts'

interface Bodies {
  getTask: string
  createTask: string
  getTaskV3: string
  createTaskV3: string
  limited: string
  download?: { base64: string, contentType: string }
}

const bodies = JSON.parse(readFileSync(process.env['BARE_BODIES'] as string, 'utf8')) as Bodies
const file = bodies.download === undefined ? undefined : Buffer.from(bodies.download.base64, 'base64')
const reference = process.env['BARE_MODE'] === 'reference'
const JSON_TYPE = 'application/json; charset=utf-8'

const app = Fastify(reference ? { logger: { level: process.env['BARE_LOG_LEVEL'] ?? 'warn' }, genReqId: () => randomUUID() } : {})

if (reference) {
  const pass = (_request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => { done() }
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(TRACE_HEADER, request.id)
    done()
  })
  app.addHook('onRequest', pass)
  app.addHook('preValidation', pass)
  app.addHook('onSend', (_request, _reply, payload, done) => { done(null, payload) })
  app.addHook('onResponse', pass)
  app.addHook('onResponse', pass)
}

const kept = new Map<string, { id: string, params: unknown, createdAt: number }>()

app.get('/v2/openapi/task/:id', (_request, reply) => { reply.type(JSON_TYPE).send(bodies.getTask) })
app.post('/v2/openapi/task', (request, reply) => {
  if (request.headers['x-tripo-mock-scenario'] !== undefined) {
    reply.code(429).header('Retry-After', '1').type(JSON_TYPE).send(bodies.limited)
  } else if (reference) {
    const id = randomUUID()
    kept.set(id, { id, params: request.body, createdAt: Date.now() })
    reply.type(JSON_TYPE).send(`{"code":0,"data":{"task_id":"${id}"}}`)
  } else {
    reply.type(JSON_TYPE).send(bodies.createTask)
  }
})
app.get('/v3/tasks/:id', (_request, reply) => { reply.type(JSON_TYPE).send(bodies.getTaskV3) })
app.post('/v3/generation/text-to-model', (request, reply) => {
  if (reference) {
    const id = randomUUID()
    kept.set(id, { id, params: request.body, createdAt: Date.now() })
    reply.type(JSON_TYPE).send(`{"code":0,"status":"success","data":{"task_id":"${id}","type":"text_to_model","status":"queued"}}`)
  } else {
    reply.type(JSON_TYPE).send(bodies.createTaskV3)
  }
})
if (file !== undefined) {
  app.get('/files/:taskId/:name', (_request, reply) => { reply.type(bodies.download?.contentType ?? 'application/octet-stream').send(file) })
}

await app.listen({ port: Number(process.env['BARE_PORT']), host: '127.0.0.1' })
process.send?.('ready')
process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })

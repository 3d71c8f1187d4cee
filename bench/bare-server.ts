/**
 * The ceiling: a bare Fastify server that answers the benchmarked routes with the same static
 * bodies tripo-mock sends, and nothing else (no auth, no trace id, no logging, no schema).
 * Started by bench/run.ts with the bodies in BARE_BODIES (a JSON file path) and BARE_PORT.
 */
// The ceiling keeps Node's tick objects on their fast path too (src/infra/tick-shape.ts), so that it is never slowed by what the emulator avoids.
import '../src/infra/tick-shape.ts'
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

interface Bodies {
  getTask: string
  createTask: string
  limited: string
  download?: { base64: string, contentType: string }
}

const bodies = JSON.parse(readFileSync(process.env['BARE_BODIES'] as string, 'utf8')) as Bodies
const file = bodies.download === undefined ? undefined : Buffer.from(bodies.download.base64, 'base64')
const app = Fastify()

app.get('/v2/openapi/task/:id', async (_request, reply) => reply.type('application/json; charset=utf-8').send(bodies.getTask))
app.post('/v2/openapi/task', async (request, reply) => {
  if (request.headers['x-tripo-mock-scenario'] !== undefined) return reply.code(429).header('Retry-After', '1').type('application/json; charset=utf-8').send(bodies.limited)
  return reply.type('application/json; charset=utf-8').send(bodies.createTask)
})
if (file !== undefined) {
  app.get('/files/:taskId/:name', async (_request, reply) => reply.type(bodies.download?.contentType ?? 'application/octet-stream').send(file))
}

await app.listen({ port: Number(process.env['BARE_PORT']), host: '127.0.0.1' })
process.send?.('ready')
process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })

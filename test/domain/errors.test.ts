import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import t from 'tap'
import { ApiError, DOCUMENTED_ERROR_KEYS, ERROR_CATALOGUE, errorKeyOfCode, isApiError } from '../../src/domain/errors.ts'
import { installErrorHandling, TRACE_HEADER } from '../../src/infra/error-handler.ts'

interface SeedRow { status: number, code: number, message: string, suggestion: string }

const seedRows: SeedRow[] = readFileSync(new URL('../fixtures/seed-errors.md', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => /^\| \d/.test(line))
  .map((line) => {
    const [status, code, message, suggestion] = line.split('|').slice(1, -1).map((cell) => cell.trim())
    return { status: Number(status), code: Number(code), message: String(message), suggestion: String(suggestion) }
  })

t.test('the seed table has the 27 documented errors', async (t) => {
  t.equal(seedRows.length, 27)
  t.equal(DOCUMENTED_ERROR_KEYS.length, 27)
})

t.test('each catalogue entry renders exactly as its seed row, with a trace id', async (t) => {
  const app = Fastify({ genReqId: () => crypto.randomUUID() })
  app.addHook('onRequest', (request, reply, done) => { reply.header(TRACE_HEADER, request.id); done() })
  installErrorHandling(app, { v2Retired: false })
  app.get('/raise/:code', async (request) => {
    const key = errorKeyOfCode(Number((request.params as { code: string }).code))
    throw new ApiError(key ?? 'UNKNOWN_ERROR')
  })
  t.teardown(() => app.close())

  const traceIds = new Set<string>()
  for (const row of seedRows) {
    const response = await app.inject({ url: `/raise/${row.code}` })
    t.equal(response.statusCode, row.status, `${row.code} status`)
    t.same(response.json(), { code: row.code, message: row.message, suggestion: row.suggestion }, `${row.code} body`)
    t.match(response.headers['content-type'], /^application\/json/)
    traceIds.add(String(response.headers['x-tripo-trace-id']))
  }
  t.equal(traceIds.size, seedRows.length, 'a fresh trace id on every response')
})

t.test('the catalogue keeps the seed order and marks its other entries', async (t) => {
  t.same(DOCUMENTED_ERROR_KEYS.map((key) => ERROR_CATALOGUE[key].code), seedRows.map((row) => row.code))
  const extra = Object.values(ERROR_CATALOGUE).filter((entry) => entry.source !== 'seed')
  t.ok(extra.every((entry) => entry.code >= 9000 || (entry.source === 'reference' && ((entry.code >= 2020 && entry.code <= 2022) || entry.code === 4001 || entry.code === 1003))),
    'entries not in the seed table use the 9xxx space, or are the 2020-2022 and V3\'s 4001 and 1003 (405, 415) the reference names')
  t.same(extra.filter((entry) => entry.code === 1003).map((entry) => entry.status), [405, 415], 'V3 answers 1003 under 405 and 415 too')
  t.equal(errorKeyOfCode(1003), 'MALFORMED_BODY', 'a shared code names the seed\'s entry')
})

t.test('ApiError carries the catalogue entry, a detail for the log and a Retry-After', async (t) => {
  const error = new ApiError('GENERATION_LIMIT', { retryAfter: 3, detail: 'why', injectedBy: 'scenario/rule' })
  t.ok(isApiError(error))
  t.notOk(isApiError(new Error('x')))
  t.equal(error.statusCode, 429)
  t.equal(error.entry.code, 2000)
  t.equal(error.message, 'You have exceeded the limit of generation')
  t.equal(error.retryAfter, 3)
  t.equal(error.detail, 'why')
  t.equal(error.injectedBy, 'scenario/rule')
  t.equal(errorKeyOfCode(424242), undefined)
})

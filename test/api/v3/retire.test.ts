/**
 * V2 as legacy, on purpose: with retireV2, every route under /v2/openapi (known or not, the watch
 * upgrades included) answers one documented error, 410/9200 in V2's envelope with a suggestion
 * naming /v3, so a suite can prove its code no longer calls V2. V3 is untouched.
 */
import t from 'tap'
import WebSocket from 'ws'
import { bearer, harness } from '../../fixtures/harness.ts'
import { v3Calls } from '../../fixtures/v3-calls.ts'

const RETIRED = {
  code: 9200,
  message: 'The V2 API has been switched off',
  suggestion: 'Use the V3 API under /v3 (Tripo switched V2 off on 2026-11-01)'
}

t.test('retired, every V2 route answers 410/9200; V3 works', async (t) => {
  const h = await harness(t, { retireV2: true })
  const calls: Array<[string, string, unknown?]> = [
    ['POST', '/v2/openapi/task', { type: 'text_to_model', prompt: 'a cat' }],
    ['GET', '/v2/openapi/task/0196f4ce-82a8-7ddb-970f-6a940e17c830'],
    ['GET', '/v2/openapi/user/balance'],
    ['POST', '/v2/openapi/upload/sts/token', { format: 'png' }],
    ['GET', '/v2/openapi/task/watch/all'],
    ['GET', '/v2/openapi/no/such/route'],
    ['DELETE', '/v2/openapi']
  ]
  for (const [method, url, payload] of calls) {
    const response = await h.app.inject({ method: method as 'GET', url, headers: bearer(), ...(payload === undefined ? {} : { payload: payload as object }) })
    t.equal(response.statusCode, 410, `${method} ${url}`)
    t.same(response.json(), { ...RETIRED, detail: `${method} ${url}` }, 'the documented error, saying what was called')
    t.ok(response.headers['x-tripo-trace-id'])
  }
  t.equal(h.services.journal.count({ status: 410 }), calls.length, 'each journalled, so a suite can count them')
  t.equal((await v3Calls(h).create('/generation/text-to-model', { prompt: 'a cat', model: 'v3.1-20260211' })).statusCode, 200)
  t.equal((await h.app.inject({ url: '/v2/openapi-not' })).json().code, 9404, 'only paths under /v2/openapi')
})

t.test('retired, a WebSocket watch is refused before any upgrade', async (t) => {
  const h = await harness(t, { retireV2: true })
  const url = (await h.listen()).replace('http', 'ws')
  const status = await new Promise<number | undefined>((resolve) => {
    const socket = new WebSocket(`${url}/v2/openapi/task/watch/all`, { headers: bearer() })
    socket.on('unexpected-response', (request, response) => {
      resolve(response.statusCode)
      request.destroy()
    })
    socket.on('error', () => {})
    socket.on('open', () => { resolve(undefined); socket.close() })
  })
  t.equal(status, 410)
})

t.test('by default V2 keeps working beside V3', async (t) => {
  const h = await harness(t)
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'a cat' })).statusCode, 200)
})

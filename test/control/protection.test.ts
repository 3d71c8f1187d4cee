/**
 * controlToken: every control route but health, ready and the docs wants the token; the emulated
 * API never does. controlPlane false: only health and ready remain.
 */
import t from 'tap'
import { loadConfig } from '../../src/infra/config.ts'
import { control } from '../fixtures/control.ts'
import { harness, KEY } from '../fixtures/harness.ts'

const TOKEN = 's3cret-control-token'

const protectedCalls: Array<[method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string]> = [
  ['GET', '/clock'], ['PATCH', '/clock'], ['POST', '/clock/advance'], ['POST', '/clock/set'],
  ['GET', '/tasks'], ['GET', '/tasks/x'], ['POST', '/tasks/x/force'],
  ['GET', '/credits'], ['PATCH', '/credits'],
  ['POST', '/reset'], ['POST', '/reset/tenant'],
  ['GET', '/journal'], ['GET', '/journal/count'], ['DELETE', '/journal'],
  ['GET', '/metrics']
]

t.test('with a token set, every steering route wants it', async (t) => {
  const h = await harness(t, { controlToken: TOKEN })
  const call = control(h)
  for (const [method, path] of protectedCalls) {
    const missing = await call(method, path)
    t.equal(missing.statusCode, 401, `${method} ${path} without the token`)
    t.same(missing.json(), {
      code: 9401,
      message: 'The control plane needs its token',
      suggestion: 'Send Authorization: Bearer <control token>',
      detail: 'Authorization: Bearer <control token> is missing'
    })
    t.match((await call(method, path, { token: 'wrong' })).json(), { code: 9401, detail: 'the control token does not match' })
  }
  t.equal((await call('POST', '/clock/advance', { token: TOKEN, body: { by: '1s' } })).statusCode, 200, 'the right token passes')
  t.equal((await call('GET', '/metrics', { token: TOKEN })).statusCode, 200)
  t.equal((await call('POST', '/reset', { token: `${TOKEN}x` })).statusCode, 401, 'a longer token is wrong too')
  t.equal(h.clock.now(), h.services.clock.now())
})

t.test('health, ready and the docs stay open; the emulated API never needs the token', async (t) => {
  const h = await harness(t, { controlToken: TOKEN })
  const call = control(h)
  for (const path of ['/health', '/ready', '/docs/json', '/docs/']) t.equal((await call('GET', path)).statusCode, 200, path)
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'a cat' })).statusCode, 200)
  t.equal((await h.app.inject({ url: '/v2/openapi/user/balance', headers: { authorization: `Bearer ${KEY}` } })).statusCode, 200)
  t.notOk(h.rawLogs().includes(TOKEN), 'the token is never logged')
})

t.test('switched off: only health and ready answer; the rest are unknown routes', async (t) => {
  const h = await harness(t, { controlPlane: false })
  const call = control(h)
  t.equal((await call('GET', '/health')).statusCode, 200)
  t.equal((await call('GET', '/ready')).statusCode, 200)
  for (const [method, path] of [...protectedCalls, ['GET', '/docs/json'] as const]) {
    const response = await call(method, path)
    t.equal(response.statusCode, 404, `${method} ${path}`)
    t.equal(response.json().code, 9410)
  }
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'a cat' })).statusCode, 200, 'the API is there')
  t.equal(h.services.journal.count(), 1, 'the journal still records (in-process readers)')
})

t.test('the settings: defaults, and from the environment', async (t) => {
  t.match(loadConfig(), { journalSize: 1000, controlToken: '', controlPlane: true })
  t.match(loadConfig({ env: { TRIPO_MOCK_CONTROL_PLANE: 'false', TRIPO_MOCK_CONTROL_TOKEN: 'abc', TRIPO_MOCK_JOURNAL_SIZE: '10' } }), { controlPlane: false, controlToken: 'abc', journalSize: 10 })
  t.throws(() => loadConfig({ env: { TRIPO_MOCK_JOURNAL_SIZE: '-1' } }), /journalSize/)
})

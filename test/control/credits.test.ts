/**
 * /__mock/credits: read and set a key's balance and frozen credits.
 */
import t from 'tap'
import { control } from '../fixtures/control.ts'
import { harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'

t.test('read and set a key\'s credits; the API sees them; other keys keep theirs', async (t) => {
  const h = await harness(t, { startingCredits: 100 })
  const call = control(h)
  t.same((await call('GET', '/credits', { key: KEY })).json(), { balance: 100, frozen: 0 }, 'a new key starts with the configured credits')
  t.same((await call('PATCH', '/credits', { key: KEY, body: { balance: 15 } })).json(), { balance: 15, frozen: 0 })
  t.same(await h.balance(), { balance: 15, frozen: 0 })
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'a cat' })).json().code, 2010, 'too poor now')
  t.same((await call('PATCH', '/credits', { key: KEY, body: { frozen: 7 } })).json(), { balance: 15, frozen: 7 }, 'the balance keeps its value')
  t.same((await call('PATCH', '/credits', { key: KEY, body: { balance: 50, frozen: 0 } })).json(), { balance: 50, frozen: 0 })
  t.same(await h.balance(OTHER_KEY), { balance: 100, frozen: 0 })
})

t.test('refusals: no key, a key the API refuses, bad amounts', async (t) => {
  const h = await harness(t, { apiKeys: [KEY] })
  const call = control(h)
  t.match((await call('GET', '/credits')).json(), { code: 9400, detail: /x-tripo-mock-key/ })
  const refused = await call('PATCH', '/credits', { key: OTHER_KEY, body: { balance: 1 } })
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { code: 9400, detail: 'the emulated API does not accept this key (see apiKeys)' })
  t.match((await call('PATCH', '/credits', { key: KEY, body: { balance: -1 } })).json(), { code: 9400, detail: /balance/ })
  t.match((await call('PATCH', '/credits', { key: KEY, body: { balance: 1.5 } })).json(), { code: 9400 })
  t.match((await call('PATCH', '/credits', { key: KEY, body: {} })).json(), { code: 9400 })
  t.match((await call('PATCH', '/credits', { key: KEY, body: { credits: 5 } })).json(), { code: 9400, detail: /additional/ })
})

/**
 * /__mock/keys and key ids: every key the emulator knows, masked, with its id; the id names the
 * key wherever a key is taken (credits, reset, scenarios, journal, tasks, events).
 */
import t from 'tap'
import { keyIdOf } from '../../src/control/common.ts'
import { control } from '../fixtures/control.ts'
import { harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'

const BOUND = 'tsk_bound_in_config_only_7'

t.test('keys that called, and keys bound to a scenario, with their tasks, credits and scenarios', async (t) => {
  const h = await harness(t, { startingCredits: 100, scenarioKeys: { [BOUND]: ['error-1001'] } })
  await h.newTask({ type: 'text_to_model', prompt: 'x' })
  await h.balance(OTHER_KEY)
  const { keys } = (await control(h)('GET', '/keys')).json()
  t.same(keys, [
    { key: 'tsk_test…0001', keyId: keyIdOf(KEY), tasks: 1, credits: { balance: 80, frozen: 20 }, scenarios: [] },
    { key: 'tsk_test…0002', keyId: keyIdOf(OTHER_KEY), tasks: 0, credits: { balance: 100, frozen: 0 }, scenarios: [] },
    { key: 'tsk_boun…ly_7', keyId: keyIdOf(BOUND), tasks: 0, credits: null, scenarios: ['error-1001'] }
  ])
  t.notOk(JSON.stringify(keys).includes(KEY))
  t.match(keyIdOf(KEY), /^[0-9a-f]{16}$/, 'a digest, the same on every start')
})

t.test('a key id names the key: credits, reset, scenarios', async (t) => {
  const h = await harness(t)
  await h.balance()
  const byId = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: Record<string, unknown>) =>
    h.app.inject({ method, url: `/__mock${url}`, headers: { 'x-tripo-mock-key-id': keyIdOf(KEY) }, ...(payload === undefined ? {} : { payload }) })
  t.same((await byId('PATCH', '/credits', { balance: 7 })).json(), { balance: 7, frozen: 0 })
  t.same((await byId('GET', '/credits')).json(), { balance: 7, frozen: 0 })
  t.match((await byId('POST', '/scenarios/error-1001/activate')).json(), { scope: 'key', active: true })
  t.same(h.services.scenarios.bindings(), { [KEY]: ['error-1001'] })
  t.match((await byId('POST', '/reset/tenant')).json(), { scope: 'tenant', key: 'tsk_test…0001' })
  t.equal((await byId('GET', '/credits')).statusCode, 404, 'forgotten: its id names nothing now')
  const missing = await control(h)('GET', '/credits')
  t.match(missing.json(), { code: 9400, detail: 'the key goes in the x-tripo-mock-key header (or its id in x-tripo-mock-key-id)' })
})

t.test('key ids are remembered within a bound', async (t) => {
  const first = keyIdOf('tsk_remembered_key_0')
  for (let n = 1; n <= 10_001; n++) keyIdOf(`tsk_remembered_key_${n}`)
  t.equal(keyIdOf('tsk_remembered_key_0'), first, 'the same id after the memory was cleared')
})

/**
 * /__mock/scenarios: list, show, activate and deactivate (globally or for one key), ad-hoc
 * scenarios added and removed, reload of the files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { control } from '../fixtures/control.ts'
import { bearer, harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'

t.test('list and show: built-in scenarios with where they are active', async (t) => {
  const h = await harness(t, { scenarios: ['error-1001'], scenarioKeys: { [KEY]: ['task-banned'] } })
  const call = control(h)
  const list = (await call('GET', '/scenarios')).json() as Array<{ name: string, origin: string, activeGlobally: boolean, keys: string[] }>
  t.ok(list.length >= 41)
  t.match(list.find((scenario) => scenario.name === 'error-1001'), { origin: 'builtin', activeGlobally: true, keys: [], rules: 1 })
  t.match(list.find((scenario) => scenario.name === 'task-banned'), { activeGlobally: false, keys: ['tsk_test…0001'] }, 'bound keys are masked')
  const shown = await call('GET', '/scenarios/rate-limited-then-ok')
  t.equal(shown.statusCode, 200)
  t.match(shown.json(), { name: 'rate-limited-then-ok', origin: 'builtin', file: 'rate-limited-then-ok.yaml', definition: { rules: [{ id: 'two-refusals', times: 2 }] } })
  const missing = await call('GET', '/scenarios/nope')
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 9410, detail: 'unknown scenario "nope"' })
})

t.test('activate and deactivate, globally or for one key', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const balanceCode = async (key: string) => (await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer(key) })).json().code
  t.same((await call('POST', '/scenarios/error-1000/activate', { key: KEY })).json(), { name: 'error-1000', scope: 'key', active: true })
  t.equal(await balanceCode(KEY), 1000)
  t.equal(await balanceCode(OTHER_KEY), 0, 'another key is untouched')
  t.same((await call('POST', '/scenarios/error-1001/activate')).json(), { name: 'error-1001', scope: 'global', active: true })
  t.equal(await balanceCode(OTHER_KEY), 1001)
  t.equal(await balanceCode(KEY), 1000, 'the key binding is narrower than the global set')
  await call('POST', '/scenarios/error-1000/deactivate', { key: KEY })
  t.equal(await balanceCode(KEY), 1001)
  t.same((await call('POST', '/scenarios/error-1001/deactivate')).json(), { name: 'error-1001', scope: 'global', active: false })
  t.equal(await balanceCode(KEY), 0)
  const unknown = await call('POST', '/scenarios/nope/activate')
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 9410)
})

t.test('ad-hoc scenarios: added from JSON, refused with a precise message, removed', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const added = await call('POST', '/scenarios', { body: { name: 'checkout', description: 'the checkout demo', rules: [{ match: { operation: 'createTask', taskType: 'text_to_model' }, times: 1, effect: { error: 'CONTENT_POLICY' } }] } })
  t.equal(added.statusCode, 201)
  t.match(added.json(), { name: 'checkout', origin: 'adhoc', rules: 1, activeGlobally: false })
  t.notOk('file' in added.json(), 'an ad-hoc scenario has no file')
  await call('POST', '/scenarios/checkout/activate', { key: KEY })
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'a' })).json().code, 2008)
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'a' })).statusCode, 200, 'times: 1')

  const refused = await call('POST', '/scenarios', { body: { name: 'broken', description: 'x', rules: [{ effect: { error: 'NOPE' } }] } })
  t.equal(refused.statusCode, 400)
  t.equal(refused.json().detail, 'ad-hoc scenario "broken": rules[0].effect.error: unknown error "NOPE" (a catalogue key such as RATE_LIMITED, or a code such as 1007)')
  t.equal((await call('POST', '/scenarios', { body: { description: 'x', rules: [{ effect: { pass: true } }] } })).json().detail, 'scenario: name: is required')
  t.match((await call('POST', '/scenarios', { body: { name: 'error-1000', description: 'x', rules: [{ effect: { pass: true } }] } })).json(), { code: 9400, detail: 'scenario "error-1000" exists (builtin); pick another name' })

  const check = async (body: unknown) => (await call('POST', '/scenarios/validate', { body })).json()
  t.same(await check({ name: 'broken', description: 'x', rules: [{ effect: { error: 'NOPE' } }] }), { valid: false, message: refused.json().detail }, 'validate says what adding would refuse')
  t.same(await check({ name: 'fine', description: 'x', rules: [{ effect: { pass: true } }] }), { valid: true })
  t.equal((await call('GET', '/scenarios/fine')).statusCode, 404, 'validating adds nothing')

  t.same((await call('DELETE', '/scenarios/checkout')).json(), { removed: 'checkout' })
  t.equal((await call('GET', '/scenarios/checkout')).statusCode, 404)
  t.equal((await call('DELETE', '/scenarios/error-1000')).json().detail, 'scenario "error-1000" is builtin; only ad-hoc scenarios can be removed')
})

t.test('reload: picks up changed files; a bad file is refused and changes nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-control-reload-'))
  writeFileSync(join(dir, 'mine.yaml'), 'description: mine\nrules:\n  - effect: { error: 2014 }\n')
  const h = await harness(t, { scenariosDir: dir })
  const call = control(h)
  const before = (await call('POST', '/scenarios/reload')).json().loaded as number
  writeFileSync(join(dir, 'second.yaml'), 'description: second\nrules:\n  - effect: { error: 2018 }\n')
  t.same((await call('POST', '/scenarios/reload')).json(), { loaded: before + 1 })
  t.match((await call('GET', '/scenarios/second')).json(), { origin: 'file' })
  writeFileSync(join(dir, 'third.yaml'), 'description: third\nrules:\n  - effect: { fault: explode }\n')
  const refused = await call('POST', '/scenarios/reload')
  t.equal(refused.statusCode, 400)
  t.match(refused.json().detail, /third\.yaml: rules\[0\]\.effect\.fault: must be a connection fault/)
  t.equal((await call('GET', '/scenarios/third')).statusCode, 404, 'nothing of the bad load')
  t.equal((await call('GET', '/scenarios/second')).statusCode, 200, 'the loaded set stays')
})

/**
 * /__mock/clock: read it, switch it, speed it, advance it, set it; and a task walked from queued
 * to success with clock calls only.
 */
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { type Clock, createClock } from '../../src/domain/clock.ts'
import { loadConfig } from '../../src/infra/config.ts'
import { control } from '../fixtures/control.ts'
import { harness, START } from '../fixtures/harness.ts'

const iso = (ms: number) => new Date(ms).toISOString()

t.test('read, advance by ms or by a human duration, set to an instant', async (t) => {
  const h = await harness(t)
  const call = control(h)
  t.same((await call('GET', '/clock')).json(), { mode: 'manual', speed: 1, now: iso(START), nowMs: START })

  const advanced = await call('POST', '/clock/advance', { body: { by: 1500 } })
  t.equal(advanced.statusCode, 200)
  t.equal(advanced.json().nowMs, START + 1500)
  t.equal((await call('POST', '/clock/advance', { body: { by: '1h30m' } })).json().nowMs, START + 1500 + 5_400_000)
  t.equal((await call('POST', '/clock/advance', { body: { by: '500ms' } })).json().nowMs, START + 5_402_000)
  t.equal(h.clock.now(), START + 5_402_000, 'the emulator\'s clock moved')

  t.same((await call('POST', '/clock/set', { body: { to: '2026-01-02T00:00:00Z' } })).json().now, '2026-01-02T00:00:00.000Z')
  t.equal((await call('POST', '/clock/set', { body: { to: Date.UTC(2026, 0, 3) } })).json().now, '2026-01-03T00:00:00.000Z', 'epoch ms')
  t.equal((await call('POST', '/clock/set', { body: { to: String(Date.UTC(2026, 0, 4)) } })).json().now, '2026-01-04T00:00:00.000Z', 'epoch ms as digits')
})

t.test('refusals are 400/9400 with a detail', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const refused = async (path: string, body: unknown, detail: RegExp | string) => {
    const response = await call(path === '/clock' ? 'PATCH' : 'POST', path, { body })
    t.equal(response.statusCode, 400, `${path} ${JSON.stringify(body)}`)
    t.match(response.json(), { code: 9400, message: 'The emulator could not accept this request', detail })
  }
  await refused('/clock/set', { to: '2025-12-31T23:59:59Z' }, 'cannot set the clock back: it is 2026-01-01T00:00:00.000Z')
  await refused('/clock/set', { to: 'tomorrow' }, /is not an instant/)
  await refused('/clock/set', { to: '2026-01-02T00:00:00' }, /is not an instant/)
  await refused('/clock/advance', { by: '5 minutes' }, /is not a duration/)
  await refused('/clock/advance', { by: '500' }, /is not a duration/)
  await refused('/clock/advance', { by: -5 }, /body/)
  await refused('/clock/advance', {}, /must have required property 'by'/)
  await refused('/clock/advance', { by: '5m', extra: 1 }, /additional properties/)
  await refused('/clock', {}, /fewer than 1 properties/)
  await refused('/clock', { speed: 0 }, 'speed must be a number above 0')
  await refused('/clock', { speed: -1 }, /speed/)
  await refused('/clock', { mode: 'sundial' }, /mode/)
  const empty = await h.app.inject({ method: 'POST', url: '/__mock/clock/advance' })
  t.match(empty.json(), { code: 9400, detail: /required property 'by'/ }, 'no body at all')
  const malformed = await h.app.inject({ method: 'POST', url: '/__mock/clock/advance', headers: { 'content-type': 'application/json' }, payload: '{' })
  t.equal(malformed.json().code, 9400, 'malformed JSON is the control plane\'s 9400, not the API\'s 1003')
  t.equal(h.clock.now(), START, 'nothing moved')
})

t.test('switch to real at a speed, and back to manual', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const real = (await call('PATCH', '/clock', { body: { mode: 'real', speed: 60 } })).json()
  t.match(real, { mode: 'real', speed: 60 })
  t.equal(real.now, iso(real.nowMs))
  t.ok(real.nowMs >= START && real.nowMs <= h.clock.now(), 'time runs from where it was')
  t.equal(h.clock.state().mode, 'real')
  const manual = (await call('PATCH', '/clock', { body: { mode: 'manual' } })).json()
  t.match(manual, { mode: 'manual', speed: 60 })
  t.equal((await call('PATCH', '/clock', { body: { speed: 2 } })).json().speed, 2)
})

t.test('a task walks from queued to success with clock calls only', async (t) => {
  const h = await harness(t, { durations: { text_to_model: { queuedMs: 3000, runningMs: 20_000 } } })
  const call = control(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  const seen = async () => (await h.getTask(id)).json().data as { status: string, progress: number }
  t.match(await seen(), { status: 'queued', progress: 0 })
  await call('POST', '/clock/advance', { body: { by: '3s' } })
  t.match(await seen(), { status: 'running', progress: 0 })
  await call('POST', '/clock/advance', { body: { by: '10s' } })
  t.match(await seen(), { status: 'running', progress: 50 })
  await call('POST', '/clock/set', { body: { to: iso(START + 23_000) } })
  t.match(await seen(), { status: 'success', progress: 100 })
})

t.test('a clock failure that is not a refusal is a 500 (never a 9400)', async (t) => {
  const broken: Clock = { ...createClock({ mode: 'manual', start: START }), advance () { throw new TypeError('broken clock') } }
  const { app } = await buildApp({ config: loadConfig(), overrides: { clock: broken }, logger: false })
  t.teardown(() => app.close())
  const response = await control({ app })('POST', '/clock/advance', { body: { by: 1 } })
  t.equal(response.statusCode, 500)
  t.equal(response.json().code, 1000)
})

/**
 * Reset: everything, or one key's tenant (tasks, credits, limits, journal, Retry-After windows),
 * leaving every other key untouched; the registry lets other services take part.
 */
import t from 'tap'
import { control } from '../fixtures/control.ts'
import { harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'

const multiview = { type: 'generate_multiview_image', file: { url: 'https://x/y.png' } }

t.test('a tenant reset forgets that key and leaves another key untouched', async (t) => {
  const h = await harness(t, { concurrencyLimits: { multiview_generation: 1 } })
  const call = control(h)
  const mine = await h.newTask(multiview)
  const theirs = await h.newTask(multiview, OTHER_KEY)
  t.equal((await h.createTask(multiview)).statusCode, 429, 'my slot is full')
  await call('PATCH', '/credits', { key: OTHER_KEY, body: { balance: 42 } })
  const otherBalance = await h.balance(OTHER_KEY)

  const reset = await call('POST', '/reset/tenant', { key: KEY })
  t.equal(reset.statusCode, 200)
  t.same(reset.json(), { scope: 'tenant', key: 'tsk_test…0001', participants: ['emulator', 'journal', 'retryAfter', 'scenarios', 'webhooks', 'metrics'] })

  t.equal((await h.getTask(mine)).json().code, 2001, 'my task is gone')
  t.same(await h.balance(), { balance: 10000, frozen: 0 }, 'my credits start over')
  t.equal((await h.createTask(multiview)).statusCode, 200, 'my concurrency slot is free again')
  t.same((await call('GET', '/journal/count', { key: KEY })).json(), { count: 3 }, 'my journal holds only what came after (get, balance, create)')
  t.notOk((await call('GET', '/journal', { key: KEY })).json().entries.some((entry: { status: number }) => entry.status === 429))

  t.equal((await h.getTask(theirs, OTHER_KEY)).json().data.task_id, theirs, 'their task is still there')
  t.equal(otherBalance.balance, 42)
  t.same(await h.balance(OTHER_KEY), otherBalance, 'their credits are untouched')
  t.ok((await call('GET', '/journal/count', { key: OTHER_KEY })).json().count >= 3, 'their journal is untouched')
  t.equal((await h.createTask(multiview, OTHER_KEY)).statusCode, 429, 'their slot is still held')
})

t.test('a full reset forgets every key, the journal and the counters; the clock stays', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const mine = await h.newTask({ type: 'text_to_model', prompt: 'a' })
  const theirs = await h.newTask({ type: 'text_to_model', prompt: 'b' }, OTHER_KEY)
  await call('POST', '/clock/advance', { body: { by: '1m' } })
  const now = h.clock.now()
  t.same((await call('POST', '/reset')).json(), { scope: 'all', participants: ['emulator', 'journal', 'retryAfter', 'scenarios', 'webhooks', 'metrics'] })
  t.equal(h.services.emulator.findTask(mine), undefined)
  t.equal(h.services.emulator.findTask(theirs), undefined)
  t.same(h.services.emulator.tenantKeys(), [])
  t.same((await call('GET', '/journal/count')).json(), { count: 0 })
  t.notMatch((await call('GET', '/metrics')).body, /requests_total\{/)
  t.equal(h.clock.now(), now)
  t.match((await call('POST', '/reset/tenant')).json(), { code: 9400 }, 'a tenant reset needs its key')
})

t.test('services from other branches plug into the reset registry', async (t) => {
  const h = await harness(t)
  const seen: Array<string | undefined> = []
  h.services.resets.register('uploads', (key) => { seen.push(key) })
  t.same((await control(h)('POST', '/reset/tenant', { key: KEY })).json().participants, ['emulator', 'journal', 'retryAfter', 'scenarios', 'webhooks', 'metrics', 'uploads'])
  await control(h)('POST', '/reset')
  t.same(seen, [KEY, undefined])
})

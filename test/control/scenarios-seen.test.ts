/**
 * The control plane with the scenario engine: a task walked to a scenario's failure with clock
 * calls only; injected outcomes in the journal and the metrics; a key's scenario state forgotten
 * by its tenant reset.
 */
import t from 'tap'
import { control } from '../fixtures/control.ts'
import { bearer, harness, KEY } from '../fixtures/harness.ts'
import { parsePrometheusText, valueOf } from '../fixtures/prometheus.ts'

const SCENARIO = 'x-tripo-mock-scenario'

t.test('a task walks to its scenario\'s failure at 60% with clock calls only', async (t) => {
  const h = await harness(t, { durations: { text_to_model: { queuedMs: 2000, runningMs: 10_000 } } })
  const call = control(h)
  const created = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), [SCENARIO]: 'task-fails-at-60' }, payload: { type: 'text_to_model', prompt: 'a cat' } })
  const id = created.json().data.task_id as string
  const seen = async () => (await h.getTask(id)).json().data as { status: string, progress: number, error_code?: number }
  t.match(await seen(), { status: 'queued' })
  t.match((await call('GET', `/tasks/${id}`)).json(), { fate: { status: 'failed', atProgress: 60, errorCode: 1001 }, decidedBy: 'task-fails-at-60/fail-at-60' })
  await call('POST', '/clock/advance', { body: { by: '7s' } })
  t.match(await seen(), { status: 'running', progress: 50 })
  await call('POST', '/clock/advance', { body: { by: '1s' } })
  t.match(await seen(), { status: 'failed', progress: 100, error_code: 1001 })
  t.match((await call('GET', `/journal?traceId=${created.headers['x-tripo-trace-id']}`)).json().entries, [{ operation: 'createTask', status: 200, injectedBy: 'task-fails-at-60/fail-at-60' }])
})

t.test('an injected 429 with Retry-After: the early retry is flagged and counted by scenario', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const create = () => h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), [SCENARIO]: 'rate-limited-then-ok' }, payload: { type: 'text_to_model', prompt: 'a cat' } })
  const first = await create()
  t.equal(first.statusCode, 429)
  t.equal(first.headers['retry-after'], '2')
  h.clock.advance(1000)
  t.equal((await create()).statusCode, 429, 'retried after 1 s of 2')
  h.clock.advance(2000)
  t.equal((await create()).statusCode, 200)
  const entries = (await call('GET', '/journal', { key: KEY })).json().entries
  t.match(entries, [
    { status: 200, earlyRetry: false, injectedBy: null },
    { status: 429, code: 2000, earlyRetry: true, injectedBy: 'rate-limited-then-ok/two-refusals' },
    { status: 429, code: 2000, earlyRetry: false, injectedBy: 'rate-limited-then-ok/two-refusals' }
  ])
  const metrics = parsePrometheusText((await call('GET', '/metrics')).body)
  t.equal(valueOf(metrics, 'tripo_mock_injected_faults_total', { scenario: 'rate-limited-then-ok' }), 2)
  t.equal(valueOf(metrics, 'tripo_mock_early_retries_total', { operation: 'createTask' }), 1)

  await call('POST', '/reset/tenant', { key: KEY })
  t.equal((await create()).statusCode, 429, 'the tenant reset forgot the rule\'s count for this key: it refuses again')
})

/**
 * GET /__mock/metrics: Prometheus text that a strict parser accepts, holding the expected counters:
 * requests by operation and status, injected faults by scenario, tasks by status, early retries.
 */
import t from 'tap'
import { control } from '../fixtures/control.ts'
import { harness, OTHER_KEY } from '../fixtures/harness.ts'
import { parsePrometheusText, valueOf } from '../fixtures/prometheus.ts'

const multiview = { type: 'generate_multiview_image', file: { url: 'https://x/y.png' } }

t.test('the counters, parsed from the Prometheus text', async (t) => {
  const h = await harness(t, {
    concurrencyLimits: { multiview_generation: 1 },
    durations: { generate_multiview_image: { queuedMs: 0, runningMs: 10_000 }, text_to_model: { queuedMs: 5000, runningMs: 10_000 } }
  })
  const call = control(h)
  h.app.get('/v2/openapi/test/injected/:rule', { config: { operation: 'getTask', surface: 'v2' } }, async (request) => {
    request.injectedBy = (request.params as { rule: string }).rule
    return { code: 0 }
  })
  await h.newTask(multiview)
  await h.createTask(multiview)
  await h.createTask(multiview)
  await h.getTask('nope')
  await h.getTask('nope')
  await h.app.inject({ url: '/v2/openapi/unknown' })
  for (const rule of ['flaky/first', 'flaky/second', 'outage']) await h.app.inject({ url: `/v2/openapi/test/injected/${rule.replace('/', '%2F')}` })
  const failed = await h.newTask({ type: 'text_to_model', prompt: 'a' }, OTHER_KEY)
  await call('POST', `/tasks/${failed}/force`, { body: { status: 'failed' } })
  await h.newTask({ type: 'text_to_model', prompt: 'b' }, OTHER_KEY)

  const response = await call('GET', '/metrics')
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
  const metrics = parsePrometheusText(response.body)
  t.same([...metrics.keys()].sort(), ['tripo_mock_early_retries_total', 'tripo_mock_injected_faults_total', 'tripo_mock_requests_total', 'tripo_mock_tasks', 'tripo_mock_webhook_attempts_total', 'tripo_mock_webhook_deliveries_total'])
  t.equal(metrics.get('tripo_mock_requests_total')?.type, 'counter')
  t.equal(metrics.get('tripo_mock_tasks')?.type, 'gauge')
  t.ok(metrics.get('tripo_mock_tasks')?.help, 'every family has its HELP')

  const requests = (operation: string, status: string) => valueOf(metrics, 'tripo_mock_requests_total', { operation, status })
  t.equal(requests('createTask', '200'), 3)
  t.equal(requests('createTask', '429'), 2)
  t.equal(requests('getTask', '404'), 2)
  t.equal(requests('getTask', '200'), 3)
  t.equal(requests('unknown', '404'), 1)
  t.equal(requests('getBalance', '200'), undefined, 'no series for what never happened')

  t.equal(valueOf(metrics, 'tripo_mock_injected_faults_total', { scenario: 'flaky' }), 2, 'by scenario: the rule name is cut at the /')
  t.equal(valueOf(metrics, 'tripo_mock_injected_faults_total', { scenario: 'outage' }), 1)
  t.equal(valueOf(metrics, 'tripo_mock_early_retries_total', { operation: 'createTask' }), 1)

  const tasks = (status: string) => valueOf(metrics, 'tripo_mock_tasks', { status })
  t.same(['queued', 'running', 'success', 'failed', 'banned'].map(tasks), [1, 1, 0, 1, 0], 'computed now')
  h.clock.advance(60_000)
  const later = parsePrometheusText((await call('GET', '/metrics')).body)
  t.same(['queued', 'running', 'success', 'failed'].map((status) => valueOf(later, 'tripo_mock_tasks', { status })), [0, 0, 2, 1], 'scraped again: moved with the clock')
  t.equal(valueOf(later, 'tripo_mock_requests_total', { operation: 'createTask', status: '200' }), 3, 'scraping twice does not double the counters')
})

t.test('a tenant reset keeps the counters; a full reset zeroes them', async (t) => {
  const h = await harness(t)
  const call = control(h)
  await h.balance()
  await call('POST', '/reset/tenant', { key: OTHER_KEY })
  const kept = parsePrometheusText((await call('GET', '/metrics')).body)
  t.equal(valueOf(kept, 'tripo_mock_requests_total', { operation: 'getBalance', status: '200' }), 1)
  await call('POST', '/reset')
  const zeroed = parsePrometheusText((await call('GET', '/metrics')).body)
  t.same(zeroed.get('tripo_mock_requests_total')?.samples, [])
})

t.test('two apps in one process count apart', async (t) => {
  const one = await harness(t)
  const two = await harness(t)
  await one.balance()
  await one.balance()
  await two.balance()
  const count = async (h: typeof one) => valueOf(parsePrometheusText((await control(h)('GET', '/metrics')).body), 'tripo_mock_requests_total', { operation: 'getBalance', status: '200' })
  t.equal(await count(one), 2)
  t.equal(await count(two), 1)
})

t.test('the parser is strict: it refuses what Prometheus would', async (t) => {
  const ok = '# HELP a_total Help text\n# TYPE a_total counter\na_total{x="1",y="q\\"uote"} 3\na_total{x="2",} 4e2\n# a comment\n'
  const families = parsePrometheusText(ok)
  t.same(families.get('a_total')?.samples, [{ labels: { x: '1', y: 'q"uote' }, value: 3 }, { labels: { x: '2' }, value: 400 }])
  t.same(parsePrometheusText('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\nh NaN\n').get('h')?.samples.length, 4)
  t.equal(valueOf(parsePrometheusText('# TYPE g gauge\ng -Inf\ng{a="b"} +Inf\n'), 'g'), -Infinity)
  t.same(parsePrometheusText(''), new Map())
  const bad = {
    'no final newline': '# TYPE a counter\na 1',
    'a sample without TYPE': 'a 1\n',
    'TYPE after samples': '# TYPE a counter\na 1\n# TYPE a counter\n',
    'two HELP lines': '# HELP a x\n# HELP a y\n',
    'an unknown type': '# TYPE a meter\n',
    'a bad value': '# TYPE a counter\na one\n',
    'a bad name': '# TYPE a counter\n1a 1\n',
    'unquoted label': '# TYPE a counter\na{x=1} 1\n',
    'a repeated label': '# TYPE a counter\na{x="1",x="2"} 1\n',
    'labels not separated': '# TYPE a counter\na{x="1"y="2"} 1\n',
    'a repeated series': '# TYPE a counter\na{x="1"} 1\na{x="1"} 2\n',
    'a bad escape': '# TYPE a counter\na{x="\\q"} 1\n'
  }
  for (const [what, text] of Object.entries(bad)) t.throws(() => parsePrometheusText(text), `refuses ${what}`)
})

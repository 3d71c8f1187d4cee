/**
 * `npm run bench:ui`: does the dashboard keep up, and does it slow the API? The built server runs
 * on its real clock; autocannon drives it at a fixed rate (1,000 requests a second by default: one
 * task creation for nine reads) for three phases of the same length: no page open (the baseline),
 * a script on the event stream (every topic, no browser: what the stream itself costs the server),
 * the Requests view live, then the Tasks view live (which follows every task's progress). Chromium
 * (Debian's, headless) reports from inside the page: long tasks, gaps between animation frames,
 * how long a key press waits for the page (Event Timing), and how far the newest row lags behind
 * the last request once the load stops. Prints a table and writes bench/results/ui-latest.json.
 *
 * Knobs (environment): BENCH_UI_RATE (1000), BENCH_UI_SECONDS (30), BENCH_UI_CONNECTIONS (20).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { chromium, type Page } from 'playwright-core'
import { CHROMIUM, CHROMIUM_FLAGS } from '../test/fixtures/browser.ts'
import { freePort } from '../test/fixtures/free-port.ts'

const ROOT = new URL('../', import.meta.url).pathname
const RATE = Number(process.env['BENCH_UI_RATE'] ?? 1000)
const SECONDS = Number(process.env['BENCH_UI_SECONDS'] ?? 30)
const CONNECTIONS = Number(process.env['BENCH_UI_CONNECTIONS'] ?? 20)
const KEY = 'tsk_bench_dashboard_key'
const AUTH = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }

async function startMock (): Promise<{ child: ChildProcess, base: string }> {
  const port = await freePort()
  const env = {
    ...process.env,
    TRIPO_MOCK_HOST: '127.0.0.1',
    TRIPO_MOCK_PORT: String(port),
    TRIPO_MOCK_LOG_LEVEL: 'warn',
    TRIPO_MOCK_STARTING_CREDITS: String(1e12),
    TRIPO_MOCK_CONCURRENCY_LIMITS: JSON.stringify({ model_generation: 1e9, model_generation_p1: 1e9, other: 1e9 }),
    // Tasks live 10 s: at 100 creations a second, about a thousand are running at any time.
    TRIPO_MOCK_DURATIONS: JSON.stringify({ text_to_model: { queuedMs: 1000, runningMs: 9000 } })
  }
  const child = spawn(process.execPath, [join(ROOT, 'dist/server.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const base = `http://127.0.0.1:${port}`
  for (;;) {
    try {
      if ((await fetch(`${base}/__mock/ready`)).ok) return { child, base }
    } catch { /* not listening yet */ }
    await sleep(20)
  }
}

interface Load {
  readonly achievedRps: number
  readonly latency: { p50: number, p97_5: number, p99: number, max: number }
  readonly errors: number
  readonly non2xx: number
}

async function drive (base: string, taskId: string): Promise<Load> {
  const create = { method: 'POST' as const, path: '/v2/openapi/task', headers: AUTH, body: JSON.stringify({ type: 'text_to_model', prompt: 'a lamp' }) }
  const read = { method: 'GET' as const, path: `/v2/openapi/task/${taskId}`, headers: AUTH }
  const result = await autocannon({ url: base, connections: CONNECTIONS, overallRate: RATE, duration: SECONDS, requests: [create, read, read, read, read, read, read, read, read, read] })
  return {
    achievedRps: Math.round(result.requests.average),
    latency: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    non2xx: result.non2xx
  }
}

/**
 * The page's own measurements (page code is text: it runs in the browser, whose types this project
 * does not compile against): long tasks, the gaps between animation frames, and the input delay
 * and duration of key presses that the browser's Event Timing reports (those of 16 ms or more).
 */
const START_PROBES = `(() => {
  const probe = { longTasks: [], frames: [], inputs: [], running: true }
  window.probe = probe
  new PerformanceObserver((list) => { for (const entry of list.getEntries()) probe.longTasks.push(entry.duration) }).observe({ type: 'longtask' })
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probe.inputs.push({ delay: entry.processingStart - entry.startTime, duration: entry.duration })
  }).observe({ type: 'event', durationThreshold: 16 })
  let last = performance.now()
  const frame = (now) => {
    probe.frames.push(now - last)
    last = now
    if (probe.running) requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
})()`

const STOP_PROBES = `(() => {
  const probe = window.probe
  probe.running = false
  return { ...probe, rows: document.querySelectorAll('.rows .row').length, heap: performance.memory?.usedJSHeapSize ?? 0 }
})()`

interface Probe {
  readonly longTasks: number[]
  readonly frames: number[]
  readonly inputs: Array<{ delay: number, duration: number }>
  readonly rows: number
  readonly heap: number
}

interface PageFigures {
  readonly longTasks: { count: number, totalMs: number, maxMs: number }
  readonly frames: { count: number, p50Ms: number, p99Ms: number, maxMs: number, over50Ms: number }
  /** Key presses measured by Event Timing (only those of 16 ms or more are reported by the browser). */
  readonly keyPresses: { sent: number, over16Ms: number, maxDelayMs: number, maxDurationMs: number }
  readonly rowsShown: number
  readonly heapMb: number
}

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number
}

async function stopProbes (page: Page, sent: number): Promise<PageFigures> {
  const probe = await page.evaluate(STOP_PROBES) as Probe
  const round = (value: number): number => Math.round(value * 10) / 10
  return {
    longTasks: { count: probe.longTasks.length, totalMs: round(probe.longTasks.reduce((sum, each) => sum + each, 0)), maxMs: round(Math.max(0, ...probe.longTasks)) },
    frames: { count: probe.frames.length, p50Ms: round(percentile(probe.frames, 0.5)), p99Ms: round(percentile(probe.frames, 0.99)), maxMs: round(Math.max(0, ...probe.frames)), over50Ms: probe.frames.filter((gap) => gap > 50).length },
    keyPresses: { sent, over16Ms: probe.inputs.length, maxDelayMs: round(Math.max(0, ...probe.inputs.map((input) => input.delay))), maxDurationMs: round(Math.max(0, ...probe.inputs.map((input) => input.duration))) },
    rowsShown: probe.rows,
    heapMb: round(probe.heap / 1024 / 1024)
  }
}

/** Presses keys in a text field twice a second while the load runs: real input, through the browser. */
async function typeWhile (page: Page, field: string, running: () => boolean): Promise<number> {
  let sent = 0
  while (running()) {
    await page.locator(field).press('a')
    await page.locator(field).press('Backspace')
    sent += 2
    await sleep(500)
  }
  return sent
}

async function phase (base: string, taskId: string, page: Page | undefined, field: string): Promise<{ load: Load, page?: PageFigures & { catchUpMs: number } }> {
  if (page === undefined) return { load: await drive(base, taskId) }
  await page.evaluate(START_PROBES)
  let running = true
  const typing = typeWhile(page, field, () => running)
  const load = await drive(base, taskId)
  running = false
  const sent = await typing
  const stopped = Date.now()
  // The newest request the emulator answered: how long until the page shows it (Requests view).
  const [newest] = ((await (await fetch(`${base}/__mock/journal?limit=1`)).json()) as { entries: Array<{ traceId: string }> }).entries
  let catchUpMs = -1
  if (field === '#requests-text') {
    await page.locator(`.rows [data-id="${newest?.traceId ?? ''}"]`).waitFor({ timeout: 60_000 })
    catchUpMs = Date.now() - stopped
  }
  return { load, page: { ...(await stopProbes(page, sent)), catchUpMs } }
}

const { child, base } = await startMock()
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
try {
  const created = await (await fetch(`${base}/v2/openapi/task`, { method: 'POST', headers: AUTH, body: JSON.stringify({ type: 'text_to_model', prompt: 'a cup' }) })).json() as { data: { task_id: string } }
  const taskId = created.data.task_id
  console.log(`${RATE} requests a second for ${SECONDS} s per phase, ${CONNECTIONS} connections; ${cpus().length} cores`)

  const baseline = await phase(base, taskId, undefined, '')
  console.log('baseline done')

  // A script reading every event as fast as it comes.
  const abort = new AbortController()
  const stream = await fetch(`${base}/__mock/events`, { signal: abort.signal })
  let streamed = 0
  const reading = (async () => {
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      streamed += value.length
    }
  })().catch(() => {})
  const scripted = await phase(base, taskId, undefined, '')
  abort.abort()
  await reading
  console.log(`stream-only done (${Math.round(streamed / 1024)} KiB streamed)`)

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const errors: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
  await page.goto(`${base}/__mock/ui/#/requests`)
  await page.locator('.top .stream.live').waitFor()
  await page.locator('input[type="search"]').evaluate((input) => { input.id = 'requests-text' })
  const requests = await phase(base, taskId, page, '#requests-text')
  console.log('requests view done')

  await page.goto(`${base}/__mock/ui/#/tasks`)
  await page.locator('.view-head .stream.live').waitFor()
  const tasks = await phase(base, taskId, page, '.top input[type="password"]')
  console.log('tasks view done')

  const results = { date: new Date().toISOString(), rate: RATE, seconds: SECONDS, connections: CONNECTIONS, cores: cpus().length, baseline, streamOnly: { ...scripted, streamedKiB: Math.round(streamed / 1024) }, requests, tasks, consoleErrors: errors.length }
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench/results/ui-latest.json'), `${JSON.stringify(results, null, 2)}\n`)

  const row = (name: string, figures: typeof requests): string => {
    const { load, page: shown } = figures
    const cells = [name, load.achievedRps, load.latency.p50, load.latency.p99, load.latency.max, load.errors + load.non2xx]
    if (shown !== undefined) {
      cells.push(shown.longTasks.count, shown.longTasks.maxMs, shown.frames.p50Ms, shown.frames.p99Ms, shown.frames.maxMs, shown.frames.over50Ms, `${shown.keyPresses.over16Ms}/${shown.keyPresses.sent}`, shown.keyPresses.maxDelayMs, shown.rowsShown, shown.heapMb, shown.catchUpMs)
    }
    return `| ${cells.join(' | ')} |`
  }
  console.log('\n| phase | req/s | API p50 ms | API p99 ms | API max ms | errors | long tasks | longest ms | frame p50 ms | frame p99 ms | frame max ms | frames > 50 ms | input events ≥ 16 ms / keys | input max delay ms | rows | heap MB | catch-up ms |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  console.log(row('no page', baseline))
  console.log(row('stream, no page', scripted))
  console.log(row('Requests view', requests))
  console.log(row('Tasks view', tasks))
  console.log(`\nconsole errors in the page: ${errors.length}`)
} finally {
  await browser.close()
  child.kill('SIGTERM')
}

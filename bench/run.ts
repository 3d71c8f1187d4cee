/**
 * `npm run bench`: tripo-mock beside a bare Fastify server answering the same routes with the
 * same static bodies, and beside the reference (the bare server plus only what an emulator built
 * like this one pays before it emulates anything: bench/bare-server.ts), driven in turn by autocannon on loopback over several
 * rounds; then cold start to the first answered request, RSS after 100k live tasks, and the export
 * and import of a snapshot of them (`GET` and `PUT /__mock/state`, as a client sees them). Prints a
 * table and writes bench/results/latest.json. The V3 read and creation run beside V2's in the same
 * rounds, so that what a V3 read costs over a V2 read (issue 16's bar: 5% at most) is one run's.
 *
 * Knobs (environment): BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (50),
 * BENCH_TASKS (100000), BENCH_LOG_LEVEL (warn).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'

const ROOT = new URL('../', import.meta.url).pathname
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5)
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5)
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50)
const TASKS = Number(process.env['BENCH_TASKS'] ?? 100_000)
const LOG_LEVEL = process.env['BENCH_LOG_LEVEL'] ?? 'warn'
const KEY = 'tsk_bench_key'
const AUTH = { authorization: `Bearer ${KEY}` }

/** Settings that let the benchmark create tasks without hitting credit or concurrency limits. */
const MOCK_ENV = {
  TRIPO_MOCK_HOST: '127.0.0.1',
  TRIPO_MOCK_LOG_LEVEL: LOG_LEVEL,
  TRIPO_MOCK_STARTING_CREDITS: String(1e12),
  TRIPO_MOCK_CONCURRENCY_LIMITS: JSON.stringify({ model_generation: 1e9, model_generation_p1: 1e9, other: 1e9, h_series: 1e9 }),
  TRIPO_MOCK_DURATIONS: JSON.stringify({ text_to_model: { queuedMs: 0, runningMs: 0 } }),
  TRIPO_MOCK_URL_EXPIRY_SECONDS: '86400'
}

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

/**
 * Polls every 2 ms until `url` answers 200. Not a busy loop: on two cores a spinning client would
 * take CPU from the server it is timing.
 */
async function waitUntilAnswering (url: string, started: number): Promise<number> {
  for (;;) {
    try {
      const response = await fetch(url, { headers: AUTH })
      if (response.ok) return performance.now() - started
    } catch { /* not listening yet */ }
    await sleep(2)
  }
}

async function startMock (): Promise<{ child: ChildProcess, base: string, coldMs: number }> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [join(ROOT, 'dist/server.js')], { env: { ...process.env, ...MOCK_ENV, TRIPO_MOCK_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
  const base = `http://127.0.0.1:${port}`
  const coldMs = await waitUntilAnswering(`${base}/v2/openapi/user/balance`, started)
  return { child, base, coldMs }
}

async function startBare (bodies: object, mode: 'static' | 'reference'): Promise<{ child: ChildProcess, base: string }> {
  const port = await freePort()
  const file = join(tmpdir(), `tripo-bench-bodies-${process.pid}.json`)
  writeFileSync(file, JSON.stringify(bodies))
  const env = { ...process.env, BARE_PORT: String(port), BARE_BODIES: file, BARE_MODE: mode, BARE_LOG_LEVEL: LOG_LEVEL }
  const child = fork(join(ROOT, 'bench/bare-server.ts'), { env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  await once(child, 'message')
  return { child, base: `http://127.0.0.1:${port}` }
}

async function stop (child: ChildProcess): Promise<void> {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

interface Target { name: string, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string, expect: number }

async function drive (base: string, target: Target, options: { duration?: number, amount?: number } = {}): Promise<{ rps: number, p99: number, errors: number }> {
  const result = await autocannon({
    url: base + target.path,
    method: target.method,
    headers: target.headers,
    ...(target.body === undefined ? {} : { body: target.body }),
    connections: CONNECTIONS,
    ...(options.amount === undefined ? { duration: options.duration ?? SECONDS } : { amount: options.amount })
  })
  const statusCount = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  const unexpected = Object.entries(statusCount).filter(([code]) => Number(code) !== target.expect).reduce((sum, [, stat]) => sum + stat.count, 0)
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.timeouts + unexpected }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

function percent (ratio: number): string {
  return `${(ratio * 100).toFixed(0)}%`
}

function rssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024
}

async function main (): Promise<void> {
  const mock = await startMock()
  // Prepare: one finished text_to_model task to read, and the bodies the bare server will send.
  const createBody = JSON.stringify({ type: 'text_to_model', prompt: 'a small cat' })
  const created = await fetch(`${mock.base}/v2/openapi/task`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: createBody })
  const createText = await created.text()
  const taskId = (JSON.parse(createText) as { data: { task_id: string } }).data.task_id
  const read = await (await fetch(`${mock.base}/v2/openapi/task/${taskId}`, { headers: AUTH })).text()
  const task = JSON.parse(read) as { data: { status: string, output: Record<string, string> } }
  if (task.data.status !== 'success') throw new Error(`the benchmark task is ${task.data.status}`)
  const limited = await (await fetch(`${mock.base}/v2/openapi/task`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', 'x-tripo-mock-scenario': 'error-2000' }, body: createBody })).text()
  // The same task type through V3: its creation answer, and a finished task's read.
  const createBodyV3 = JSON.stringify({ prompt: 'a small cat', model: 'v3.1-20260211' })
  const createdV3 = await (await fetch(`${mock.base}/v3/generation/text-to-model`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: createBodyV3 })).text()
  const taskIdV3 = (JSON.parse(createdV3) as { data: { task_id: string } }).data.task_id
  const readV3 = await (await fetch(`${mock.base}/v3/tasks/${taskIdV3}`, { headers: AUTH })).text()
  if ((JSON.parse(readV3) as { data: { status: string } }).data.status !== 'success') throw new Error(`the V3 benchmark task is not a success: ${readV3}`)
  const downloadUrl = new URL(task.data.output['pbr_model'] as string)
  const download = await fetch(downloadUrl)
  const hasFiles = download.ok
  const fileBytes = Buffer.from(await download.arrayBuffer())

  const bodies = {
    getTask: read,
    createTask: createText,
    getTaskV3: readV3,
    createTaskV3: createdV3,
    limited,
    ...(hasFiles ? { download: { base64: fileBytes.toString('base64'), contentType: download.headers.get('content-type') } } : {})
  }
  const bare = await startBare(bodies, 'static')
  const reference = await startBare(bodies, 'reference')
  const servers = { mock: mock.base, bare: bare.base, reference: reference.base }

  const targets: Target[] = [
    { name: 'GET /v2/openapi/task/{id}', method: 'GET', path: `/v2/openapi/task/${taskId}`, headers: AUTH, expect: 200 },
    { name: 'POST /v2/openapi/task', method: 'POST', path: '/v2/openapi/task', headers: { ...AUTH, 'content-type': 'application/json' }, body: createBody, expect: 200 },
    { name: 'GET /v3/tasks/{id}', method: 'GET', path: `/v3/tasks/${taskIdV3}`, headers: AUTH, expect: 200 },
    { name: 'POST /v3/generation/text-to-model', method: 'POST', path: '/v3/generation/text-to-model', headers: { ...AUTH, 'content-type': 'application/json' }, body: createBodyV3, expect: 200 },
    { name: '429 from a scenario', method: 'POST', path: '/v2/openapi/task', headers: { ...AUTH, 'content-type': 'application/json', 'x-tripo-mock-scenario': 'error-2000' }, body: createBody, expect: 429 },
    ...(hasFiles ? [{ name: 'file download (GLB)', method: 'GET' as const, path: downloadUrl.pathname + downloadUrl.search, headers: AUTH, expect: 200 }] : [])
  ]

  type Side = keyof typeof servers
  const sides: Side[] = ['mock', 'bare', 'reference']
  const samples = new Map<string, Record<Side, number[]> & { mockP99: number[], errors: number }>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const entry = samples.get(target.name) ?? { mock: [], bare: [], reference: [], mockP99: [], errors: 0 }
      // Each round starts with another side, so that no side always runs first or last.
      const order = sides.map((_, i) => sides[(i + round) % sides.length] as Side)
      for (const side of order) {
        const result = await drive(servers[side], target)
        entry[side].push(result.rps)
        if (side === 'mock') {
          entry.mockP99.push(result.p99)
          entry.errors += result.errors
        }
      }
      samples.set(target.name, entry)
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${target.name}: ${sides.map((side) => `${side} ${entry[side].at(-1)?.toFixed(0)}`).join(', ')} req/s\n`)
    }
  }
  await stop(mock.child)
  await stop(bare.child)
  await stop(reference.child)

  const cold: number[] = []
  for (let i = 0; i < 5; i++) {
    const fresh = await startMock()
    cold.push(fresh.coldMs)
    await stop(fresh.child)
  }

  const soak = await startMock()
  const before = rssMb(soak.child.pid as number)
  const made = await drive(soak.base, targets[1] as Target, { amount: TASKS })
  const after = rssMb(soak.child.pid as number)
  const balance = await (await fetch(`${soak.base}/v2/openapi/user/balance`, { headers: AUTH })).json() as { data: { balance: number } }
  const exportStarted = performance.now()
  const snapshot = await (await fetch(`${soak.base}/__mock/state`)).text()
  const exportMs = performance.now() - exportStarted
  const importStarted = performance.now()
  const imported = await fetch(`${soak.base}/__mock/state`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: snapshot })
  const importDone = await imported.json() as { parts?: { tenants: { tasks: number } } }
  const importMs = performance.now() - importStarted
  if (importDone.parts === undefined) throw new Error(`the snapshot was refused: ${JSON.stringify(importDone)}`)
  await stop(soak.child)

  const rows = targets.map((target) => {
    const entry = samples.get(target.name) as Record<Side, number[]> & { mockP99: number[], errors: number }
    const [mockRps, bareRps, referenceRps] = sides.map((side) => median(entry[side])) as [number, number, number]
    return {
      route: target.name,
      mockRps: Math.round(mockRps),
      bareRps: Math.round(bareRps),
      ratio: Number((mockRps / bareRps).toFixed(3)),
      referenceRps: Math.round(referenceRps),
      referenceRatio: Number((referenceRps / bareRps).toFixed(3)),
      mockP99Ms: median(entry.mockP99),
      unexpectedResponses: entry.errors
    }
  })
  // What a V3 read costs over a V2 read: time per request is 1 / req/s, so the ratio of V2's rate to V3's.
  const readOf = (route: string) => (rows.find((row) => row.route === route) as { mockRps: number }).mockRps
  const v3ReadCost = Number((readOf('GET /v2/openapi/task/{id}') / readOf('GET /v3/tasks/{id}')).toFixed(3))
  const result = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
    settings: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, logLevel: LOG_LEVEL },
    throughput: rows,
    v3ReadCostOverV2: v3ReadCost,
    coldStartMs: { median: Math.round(median(cold)), samples: cold.map(Math.round) },
    memory: { tasks: TASKS, created: TASKS - made.errors, rssBeforeMb: Math.round(before), rssAfterMb: Math.round(after), creditsLeft: balance.data.balance },
    snapshot: { tasks: importDone.parts.tenants.tasks, megabytes: Math.round(snapshot.length / 2 ** 20), exportMs: Math.round(exportMs), importMs: Math.round(importMs) }
  }

  const table = [
    '| Route | tripo-mock req/s | bare Fastify req/s | ratio | reference req/s | reference ratio | tripo-mock p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.route} | ${row.mockRps} | ${row.bareRps} | ${percent(row.ratio)} | ${row.referenceRps} | ${percent(row.referenceRatio)} | ${row.mockP99Ms} |`),
    '',
    `A V3 read costs ${percent(v3ReadCost - 1)} over a V2 read (the time per request of GET /v3/tasks/{id} over GET /v2/openapi/task/{id})`,
    `Cold start to the first answered request: ${result.coldStartMs.median} ms (median of ${cold.length})`,
    `RSS after ${TASKS} tasks: ${result.memory.rssAfterMb} MB (${result.memory.rssBeforeMb} MB at start)`,
    `Snapshot of ${result.snapshot.tasks} tasks (${result.snapshot.megabytes} MB of JSON): export ${result.snapshot.exportMs} ms, import ${result.snapshot.importMs} ms (GET and PUT /__mock/state, on loopback)`
  ].join('\n')
  process.stdout.write(`\n${table}\n`)
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench/results/latest.json'), JSON.stringify(result, null, 2) + '\n')
}

await main()

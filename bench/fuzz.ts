/**
 * `npm run fuzz`: the long hostile run. The built server (dist/server.js, as the Docker image runs
 * it) takes FUZZ_REQUESTS hostile requests (test/fixtures/hostile-requests.ts: every route the
 * app registers, bent every way), FUZZ_CONCURRENCY at a time, on loopback; its RSS is sampled as it
 * goes; then it gets SIGTERM with connections left open the way hostile clients leave them (half a
 * request line, half a body, an answered upgrade, a WebSocket that never answers a close, ...), and
 * the drain is timed. Prints what was wrong (answers outside the envelope, 5xx no scenario asked for, errors
 * logged), the RSS figures and the exit. The fuzz test (test/fuzz.test.ts) is the short version.
 *
 * Knobs (environment): FUZZ_REQUESTS (100000), FUZZ_CONCURRENCY (16), FUZZ_SEED (1),
 * FUZZ_HEAP_SNAPSHOT (a folder: the server writes a heap snapshot there after the run, before
 * the drain; read it with Chrome's DevTools, Memory tab), FUZZ_SERVER (another build's
 * dist/server.js, to compare), FUZZ_LOG_LEVEL (the server's; warn).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/infra/config.ts'
import { freePort } from '../test/fixtures/free-port.ts'
import { exchange, HostileRequests, immediateScenarios, openHostileConnections, problemsOf, wireBytes } from '../test/fixtures/hostile-requests.ts'

const ROOT = new URL('../', import.meta.url).pathname
const REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 100_000)
const CONCURRENCY = Number(process.env['FUZZ_CONCURRENCY'] ?? 16)
const SEED = Number(process.env['FUZZ_SEED'] ?? 1)
const SNAPSHOTS = process.env['FUZZ_HEAP_SNAPSHOT']
const SERVER = process.env['FUZZ_SERVER'] ?? join(ROOT, 'dist/server.js')

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024

// The routes and scenarios, from the app itself: routes added later are fuzzed too.
const { app, services, routes } = await buildApp({ config: loadConfig(), logger: false })
const scenarios = immediateScenarios(services.scenarios.list())
await app.close()

const port = await freePort()
const server = spawn(process.execPath, [...(SNAPSHOTS === undefined ? [] : ['--heapsnapshot-signal=SIGWINCH']), SERVER], {
  cwd: SNAPSHOTS ?? ROOT,
  env: { ...process.env, TRIPO_MOCK_PORT: String(port), TRIPO_MOCK_HOST: '127.0.0.1', TRIPO_MOCK_LOG_LEVEL: process.env['FUZZ_LOG_LEVEL'] ?? 'warn' },
  stdio: ['ignore', 'pipe', 'inherit']
})
const errorsLogged: string[] = []
let pending = ''
server.stdout.on('data', (chunk: Buffer) => {
  const lines = (pending + String(chunk)).split('\n')
  pending = lines.pop() as string
  for (const line of lines) if (/"level":(50|60)|"msg":"closing"/.test(line)) errorsLogged.push(line.slice(0, 1500))
})
const base = `http://127.0.0.1:${port}`
for (;;) {
  try {
    if ((await fetch(`${base}/__mock/ready`)).ok) break
  } catch { /* not listening yet */ }
  await sleep(20)
}
const pid = server.pid as number
const rssAtStart = rssMb(pid)

const fuzz = new HostileRequests(SEED, routes, scenarios, `127.0.0.1:${port}`)
/**
 * Whether a scenario decided a request's answer, by the journal; undefined when the journal cannot
 * tell (another request of the run cleared it or reset the emulator meanwhile). A 5xx no
 * scenario asked for is a bug, which the server also logs as an error: that count is the check.
 */
const injected = async (traceId: string): Promise<boolean | undefined> => {
  const response = await fetch(`${base}/__mock/journal?traceId=${traceId}`)
  if (!response.ok) return undefined
  const { entries } = await response.json() as { entries: Array<{ injectedBy: string | null }> }
  return entries.length === 0 ? undefined : entries[0]?.injectedBy != null
}
let unjudged = 0
const problems = new Map<string, number>()
/** The first request and answer of a few kinds of problem, for a closer look. */
const examples = new Map<string, string>()
const rss: number[] = []
let sent = 0
const started = performance.now()
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (sent < REQUESTS) {
    sent += 1
    if (sent % 5000 === 0) rss.push(rssMb(pid))
    const request = fuzz.next()
    const answer = await exchange(port, request)
    fuzz.learn(answer)
    const traceId = answer.headers['x-tripo-trace-id']
    const byScenario = answer.status >= 500 && traceId !== undefined ? await injected(traceId) : false
    if (byScenario === undefined) {
      unjudged += 1
      continue
    }
    for (const problem of problemsOf(request, answer, () => byScenario)) {
      const kind = `${request.method} ${request.target.split('?')[0]?.replace(/[0-9a-f-]{36}/g, '{id}').slice(0, 60) ?? ''}: ${problem.slice(0, 100)}`
      problems.set(kind, (problems.get(kind) ?? 0) + 1)
      if (examples.size < 5 && !examples.has(problem)) examples.set(problem, `${JSON.stringify(wireBytes(request).toString('latin1').slice(0, 300))}\n    → ${answer.status} ${JSON.stringify(answer.headers)} ${String(answer.body).slice(0, 120)}`)
    }
  }
}))
const seconds = (performance.now() - started) / 1000
const rssAfter = rssMb(pid)

if (SNAPSHOTS !== undefined) {
  // Not SIGUSR2, Node's usual choice: close-with-grace closes the server on it.
  server.kill('SIGWINCH')
  // Writing a snapshot of a large heap takes a while: wait until the file is complete.
  for (let size = -1; ;) {
    await sleep(1000)
    const file = readdirSync(SNAPSHOTS).find((name) => name.endsWith('.heapsnapshot'))
    const now = file === undefined ? -1 : readFileSync(join(SNAPSHOTS, file)).length
    if (now > 0 && now === size) break
    size = now
  }
}

// Connections left the way hostile clients leave them, then SIGTERM.
const connections = await openHostileConnections(port)
const closing = performance.now()
server.kill('SIGTERM')
const [exitCode] = await once(server, 'exit') as [number | null]
const drainMs = performance.now() - closing
for (const { socket } of connections.values()) socket.destroy()

console.log(`${REQUESTS} hostile requests (seed ${SEED}, ${CONCURRENCY} at a time) in ${seconds.toFixed(0)} s, over ${fuzz.visited.size} of ${routes.length} routes`)
console.log(`problems: ${problems.size === 0 ? 'none' : ''}`)
for (const [kind, count] of [...problems].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${count} × ${kind}`)
for (const [problem, example] of examples) console.log(`  e.g. ${problem}:\n    ${example}`)
console.log(`5xx the journal could not tell about (judged by the error log alone): ${unjudged}`)
console.log(`errors logged: ${errorsLogged.length}`)
for (const line of errorsLogged.slice(0, 5)) console.log(`  ${line}`)
console.log(`RSS: ${rssAtStart.toFixed(0)} MB at start, ${rss.map((mb) => mb.toFixed(0)).join(' → ')} MB every 5,000 requests, ${rssAfter.toFixed(0)} MB after`)
console.log(`SIGTERM with ${connections.size} hostile connections open: exit ${String(exitCode)} after ${drainMs.toFixed(0)} ms`)
process.exitCode = problems.size === 0 && errorsLogged.length === 0 && exitCode === 0 ? 0 : 1

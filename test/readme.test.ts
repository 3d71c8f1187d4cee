/**
 * The README stays true: it lists every built-in scenario with its description, its configuration
 * table is the one the schema makes (and `npm run docs` rewrites it), its set-up is two commands,
 * and its control-plane examples run as written.
 */
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadScenarios } from '../src/domain/scenarios/loader.ts'
import { SETTINGS_TABLE_END, SETTINGS_TABLE_START, settingsTable, withSettingsTable } from '../src/infra/cli.ts'
import { BUILTIN_SCENARIOS_DIR } from '../src/services.ts'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/infra/config.ts'
import { uncoveredEnv } from './fixtures/uncovered.ts'

// The docs script runs in node processes that load the TypeScript sources.
t.setTimeout(180_000)

const readmePath = new URL('../README.md', import.meta.url)
const readme = readFileSync(readmePath, 'utf8')
const docsScript = new URL('../scripts/docs.ts', import.meta.url).pathname

t.test('the README lists every built-in scenario with its description', async (t) => {
  const rows = new Map([...readme.matchAll(/^\| `([a-z0-9-]+)` \| (.+) \|$/gm)].map((match) => [match[1], match[2]]))
  for (const scenario of loadScenarios(BUILTIN_SCENARIOS_DIR, '')) {
    t.equal(rows.get(scenario.name), scenario.description, scenario.name)
  }
})

t.test('the README holds exactly the configuration table of the schema (npm run docs writes it)', async (t) => {
  const between = readme.slice(readme.indexOf(SETTINGS_TABLE_START) + SETTINGS_TABLE_START.length, readme.indexOf(SETTINGS_TABLE_END))
  t.equal(between, `\n${settingsTable()}\n`)
  t.equal(withSettingsTable(readme), readme, 'nothing for npm run docs to change')
  t.equal(readme.split(SETTINGS_TABLE_START).length, 2, 'one table')
})

t.test('the set-up is the two commands', async (t) => {
  const setUp = /^## Set up\n\n```sh\n([^`]*)```/m.exec(readme)?.[1] ?? ''
  t.same(setUp.trim().split('\n').map((line) => line.replace(/\s+#.*$/, '')), ['npm install && npm start', 'npm ci && npm test'])
})

t.test('every control-plane example runs as written, in the README\'s order', async (t) => {
  // The shell blocks' curl lines against the control plane ($M), continuation lines joined.
  const commands = [...readme.matchAll(/^```sh\n([^`]*)```/gm)]
    .flatMap((block) => (block[1] as string).replace(/\\\n\s*/g, '').split('\n'))
    .filter((line) => line.startsWith('curl ') && line.includes('$M'))
  t.ok(commands.length >= 25, `${commands.length} examples`)
  const key = 'tsk_readme_examples'
  // As `npm start` runs it (its clock starts at the wall time, as the README's reader's does), with
  // tasks that stay queued and running long enough to be forced, however the examples move the clock.
  const durations = { text_to_model: { queuedMs: 3_600_000, runningMs: 3_600_000 } }
  const { app } = await buildApp({ config: loadConfig({ overrides: { host: '127.0.0.1', port: 0, durations } }), logger: false })
  t.teardown(() => app.close())
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  let taskId: string | undefined
  let traceId: string | undefined
  let endpointId: string | undefined
  let deliveryId: string | undefined
  const json = { 'content-type': 'application/json' }
  for (const command of commands) {
    if (command.includes('$TASK_ID') && taskId === undefined) {
      const created = await fetch(`${base}/v2/openapi/task`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...json }, body: '{"type":"text_to_model","prompt":"a chair"}' })
      taskId = (await created.json() as { data: { task_id: string } }).data.task_id
    }
    // A request still in the journal, whatever the examples before reset.
    if (command.includes('$TRACE_ID')) traceId = (await fetch(`${base}/v2/openapi/user/balance`, { headers: { authorization: `Bearer ${key}` } })).headers.get('x-tripo-trace-id') ?? ''
    // An endpoint on a loopback port nothing listens on, and a delivery to it: the ids the reader copies from the lists.
    if (/\$EP\b|\$DELIVERY\b/.test(command) && endpointId === undefined) {
      const endpoint = await fetch(`${base}/__mock/webhooks/endpoints`, { method: 'POST', headers: json, body: JSON.stringify({ url: 'http://127.0.0.1:9/hooks' }) })
      endpointId = (await endpoint.json() as { id: string }).id
      const sent = await fetch(`${base}/__mock/webhooks/endpoints/${endpointId}/send`, { method: 'POST', headers: json, body: '{"body":{"id":"evt_0"}}' })
      deliveryId = (await sent.json() as { id: string }).id
    }
    const env = { PATH: process.env['PATH'], M: `${base}/__mock`, K: key, TASK_ID: taskId ?? '', TRACE_ID: traceId ?? '', EP: endpointId ?? '', DELIVERY: deliveryId ?? '' }
    if (/ -\w*N /.test(command)) {
      // An event stream never ends: its first event (ready) shows it answered.
      const stream = spawn('sh', ['-c', command], { env, stdio: ['ignore', 'pipe', 'ignore'] })
      let received = ''
      for await (const chunk of stream.stdout) {
        received += String(chunk)
        if (received.includes('event: ready')) break
      }
      stream.kill()
      t.match(received, /^event: ready\n/m, `${command}: ${received.slice(0, 80)}`)
      continue
    }
    const { code, stdout } = await new Promise<{ code: number, stdout: string }>((resolve) => {
      execFile('sh', ['-c', command], { env }, (error, out) => { resolve({ code: error === null ? 0 : Number(error.code), stdout: out }) })
    })
    t.equal(code, 0, command)
    t.notMatch(stdout, /"code":9\d{3}/, `${command}: ${stdout}`)
  }
})

async function docs (path: string | undefined, cwd?: string) {
  // Run by tsx, without coverage (see fixtures/uncovered.ts), from any folder.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), docsScript, ...path === undefined ? [] : [path]], { cwd, env: uncoveredEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const [code] = await once(child, 'exit') as [number]
  return { code, stdout, stderr }
}

t.test('npm run docs rewrites a stale table, leaves a current one, refuses a README without markers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-docs-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const copy = join(dir, 'README.md')
  copyFileSync(readmePath, copy)
  const stale = readme.replace(/^\| `port` \|.*$/m, '| `port` | `--port` | `TRIPO_MOCK_PORT` | `80` | stale |')
  t.not(stale, readme)
  writeFileSync(copy, stale)

  t.same(await docs(copy), { code: 0, stdout: `${copy}: settings table rewritten\n`, stderr: '' })
  t.equal(readFileSync(copy, 'utf8'), readme, 'the table is the schema\'s again, and nothing else moved')
  t.same(await docs(copy), { code: 0, stdout: `${copy}: the settings table is up to date\n`, stderr: '' })
  t.same(await docs(undefined, dir), { code: 0, stdout: 'README.md: the settings table is up to date\n', stderr: '' }, 'by default, README.md of the current folder')

  writeFileSync(copy, '# no table\n')
  const refused = await docs(copy)
  t.equal(refused.code, 1)
  t.match(refused.stderr, /the settings table markers are missing/)
  t.equal(readFileSync(copy, 'utf8'), '# no table\n', 'untouched')
})

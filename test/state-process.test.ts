/**
 * Snapshots across a real restart, with the built server (`dist/server.js`, as `npm start` and the
 * image run it): stopped by SIGTERM it writes its state (--export-on-exit); started again with
 * --import it serves the same tasks, credits, files and scenario bindings on V3 and V2, and the
 * same webhook endpoints; SIGINT writes too; a snapshot it cannot import stops the start with one
 * line; `--import demo` loads the package's demo state. Needs `npm run build` first (npm test does).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { PNG } from './fixtures/files.ts'

// Each case starts node processes on a busy two-core machine.
t.setTimeout(300_000)

const server = fileURLToPath(new URL('../dist/server.js', import.meta.url))
const KEY = 'tsk_restart_test_key'
const AUTH = { authorization: `Bearer ${KEY}` }
const MODEL = 'v3.1-20260211'

interface Process {
  readonly base: Promise<string>
  readonly exit: Promise<number>
  readonly stderr: () => string
  readonly stdout: () => string
  stop (signal: NodeJS.Signals): Promise<number>
}

function start (t: Test, args: string[]): Process {
  const child = spawn(process.execPath, [server, '--port', '0', '--host', '127.0.0.1', '--clock', 'manual', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const exit = once(child, 'exit').then(([code]) => code as number)
  const base = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = stdout.split('\n').find((text) => text.includes('"docs"'))
      if (line !== undefined) resolve((JSON.parse(line) as { api: string }).api.replace(/\/v3$/, ''))
    })
    child.on('exit', () => { reject(new Error(`exited before it was ready: ${stderr}`)) })
  })
  base.catch(() => undefined)
  return {
    base,
    exit,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop (signal) {
      child.kill(signal)
      return exit
    }
  }
}

function folder (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-restart-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

async function json (response: Response): Promise<any> {
  return response.json()
}

/** What a client sees of a world, without what a restart changes by design (timestamps, URL signatures). */
async function view (base: string, tasks: Record<string, string>) {
  const seen: Record<string, unknown> = {}
  for (const [name, id] of Object.entries(tasks)) {
    const v3 = (await json(await fetch(`${base}/v3/tasks/${id}`, { headers: AUTH }))).data
    const v2 = (await json(await fetch(`${base}/v2/openapi/task/${id}`, { headers: AUTH }))).data
    seen[name] = {
      v3: { ...v3, created_at: undefined, output: Object.keys(v3.output) },
      v2: { ...v2, create_time: undefined, output: Object.keys(v2.output ?? {}), result: undefined }
    }
  }
  seen['balance v3'] = (await json(await fetch(`${base}/v3/account/balance`, { headers: AUTH }))).data
  seen['balance v2'] = (await json(await fetch(`${base}/v2/openapi/user/balance`, { headers: AUTH }))).data
  seen['bindings'] = (await json(await fetch(`${base}/__mock/scenarios/task-failed`))).keys
  return seen
}

t.test('stopped by SIGTERM it writes its state; started with --import it serves the same world', async (t) => {
  const dir = folder(t)
  const file = join(dir, 'state.json')
  const first = start(t, ['--export-on-exit', file])
  const base = await first.base
  const post = (path: string, body: object) => fetch(`${base}${path}`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const form = new FormData()
  form.append('file', new Blob([PNG]), 'cat.png')
  const token = (await json(await fetch(`${base}/v3/files`, { method: 'POST', headers: AUTH, body: form }))).data.file_token as string
  const tasks: Record<string, string> = {
    v3: (await json(await post('/v3/generation/text-to-model', { prompt: 'a cat', model: MODEL }))).data.task_id,
    v3Image: (await json(await post('/v3/generation/image-to-model', { input: token, model: MODEL }))).data.task_id,
    v2: (await json(await post('/v2/openapi/task', { type: 'text_to_model', prompt: 'a dog' }))).data.task_id
  }
  await fetch(`${base}/__mock/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"by":"5s"}' })
  await fetch(`${base}/__mock/credits`, { method: 'PATCH', headers: { 'x-tripo-mock-key': KEY, 'content-type': 'application/json' }, body: '{"balance":4321}' })
  await fetch(`${base}/__mock/scenarios/task-failed/activate`, { method: 'POST', headers: { 'x-tripo-mock-key': KEY } })
  const hook = await json(await fetch(`${base}/__mock/webhooks/endpoints`, { method: 'POST', headers: { 'x-tripo-mock-key': KEY, 'content-type': 'application/json' }, body: '{"url":"http://127.0.0.1:9/hooks","secret":"whsec_restart"}' }))
  const before = await view(base, tasks)
  t.match(before, { v3: { v3: { status: 'running' } }, v2: { v2: { status: 'running' } }, 'balance v2': { balance: 4321 }, bindings: ['tsk_rest…_key'] })

  t.equal(await first.stop('SIGTERM'), 0, 'a clean exit')
  t.match(JSON.parse(readFileSync(file, 'utf8')), { format: 'tripo-mock/state', version: 1 })
  t.ok(first.stdout().includes('state written (exit)'))

  const file2 = join(dir, 'again.json')
  const second = start(t, ['--import', file, '--export-on-exit', file2])
  const again = await second.base
  t.same(await view(again, tasks), before, 'the same tasks, credits and bindings on V3 and V2')
  const fromToken = await fetch(`${again}/v3/generation/image-to-model`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ input: token, model: MODEL }) })
  t.equal(fromToken.status, 200, 'the upload token still resolves')
  const created = (await json(await fetch(`${again}/__mock/tasks/${(await json(fromToken)).data.task_id as string}`))) as { fate: { status: string }, decidedBy: string }
  t.match(created, { fate: { status: 'failed' }, decidedBy: 'task-failed/failed' }, 'the key\'s scenario binding still decides its tasks')
  // Its createdAt moved with the snapshot's other instants.
  const withoutCreated = ({ createdAt: _createdAt, ...endpoint }: Record<string, unknown>) => endpoint
  t.same((await json(await fetch(`${again}/__mock/webhooks/endpoints`))).endpoints.map(withoutCreated), [withoutCreated(hook)], 'the key\'s webhook endpoint, its id and secret')

  t.equal(await second.stop('SIGINT'), 0, 'SIGINT: a clean exit')
  t.match(JSON.parse(readFileSync(file2, 'utf8')), { tenants: [{ key: KEY, balance: 4321 - 30 }] })
})

t.test('a snapshot it cannot import stops the start with one line, and writes nothing', async (t) => {
  const dir = folder(t)
  const broken = start(t, ['--import', './nowhere/state.json', '--export-on-exit', join(dir, 'out.json')])
  t.equal(await broken.exit, 2)
  t.match(broken.stderr(), /^tripo-mock: cannot read the state file \.\/nowhere\/state\.json: ENOENT[^\n]*\n$/)
  t.notOk(existsSync(join(dir, 'out.json')))
  const unknown = start(t, ['--import', 'nope'])
  t.equal(await unknown.exit, 2)
  t.match(unknown.stderr(), /^tripo-mock: no prepared state "nope" \(there are: demo\); a file needs a slash or a dot in its path, e.g\. \.\/nope\n$/)
  const folderTarget = start(t, ['--export-on-exit', dir])
  t.equal(await folderTarget.exit, 2)
  t.equal(folderTarget.stderr(), `tripo-mock: exportOnExit ${dir} is a folder: name a file in it, e.g. ${join(dir, 'state.json')}\n`)
})

t.test('--import demo: the package\'s demo state, its running tasks still running, its webhook deliveries', async (t) => {
  const demo = start(t, ['--import', 'demo'])
  const base = await demo.base
  const tasks = (await json(await fetch(`${base}/__mock/tasks`, { headers: { 'x-tripo-mock-key': 'tsk_demo_qa' } }))).tasks as Array<{ status: string }>
  const statuses = new Set(tasks.map((task) => task.status))
  for (const status of ['queued', 'running', 'success', 'failed', 'banned', 'expired', 'cancelled', 'unknown']) t.ok(statuses.has(status), status)
  const deliveries = (await json(await fetch(`${base}/__mock/webhooks/deliveries`, { headers: { 'x-tripo-mock-key': 'tsk_demo_qa' } }))).deliveries as Array<{ status: string, attempts: unknown[] }>
  t.same(deliveries.map((delivery) => [delivery.status, delivery.attempts.length]), [['pending', 1], ['failed', 4]], 'a webhook delivery waiting for its retry, and one that failed every attempt')
  t.equal(await demo.stop('SIGTERM'), 0)
})

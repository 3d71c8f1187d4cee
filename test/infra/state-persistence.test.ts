/**
 * exportOnExit and exportIntervalSeconds: an emulator that listened writes its state when it
 * closes, after the requests in flight have finished; one that never listened writes nothing; a
 * timer writes it meanwhile, one write at a time, and a failed timed write is logged, not thrown.
 * Built on the harness's manual clock; the timer is handed in, never waited for.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.ts'
import { ConfigError, loadConfig } from '../../src/infra/config.ts'
import { installStatePersistence } from '../../src/infra/state-persistence.ts'
import { bearer, harness, KEY } from '../fixtures/harness.ts'

function folder (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-persistence-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { tenants: Array<{ key: string, tasks: Array<{ params: { prompt: string } }> }> }

t.test('the interval needs a file; a file that cannot be written stops the build', async (t) => {
  await t.rejects(buildApp({ config: loadConfig({ overrides: { exportIntervalSeconds: 60 } }), logger: false }), new ConfigError('exportIntervalSeconds needs exportOnExit: the file it writes'))
  await t.rejects(buildApp({ config: loadConfig({ overrides: { exportOnExit: folder(t) } }), logger: false }), { name: 'StartupError', message: /is a folder/ })
})

t.test('written when an emulator that listened closes, with the requests that were in flight', async (t) => {
  const file = join(folder(t), 'state.json')
  const h = await harness(t, { exportOnExit: file, exportIntervalSeconds: 3600 })
  const base = await h.listen()
  await h.app.inject({ method: 'POST', url: '/__mock/scenarios', payload: { name: 'held', description: 'held an hour', rules: [{ match: { operation: 'createTask' }, effect: { latency: { fixed: '1h' } } }] } })
  const held = fetch(`${base}/v2/openapi/task`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json', 'x-tripo-mock-scenario': 'held' }, body: JSON.stringify({ type: 'text_to_model', prompt: 'in flight' }) })
  await h.logLine((line) => line['msg'] === 'scenario rule fired')
  await h.app.close()
  t.equal((await (await held).json() as { code: number }).code, 0, 'answered')
  t.same(read(file).tenants.map((tenant) => [tenant.key, tenant.tasks.map((task) => task.params.prompt)]), [[KEY, ['in flight']]], 'its task is in the file')
  t.match(h.logs.find((line) => line['msg'] === 'state written (exit)'), { file, bytes: Number })
})

t.test('an emulator that never listened (its start failed) writes nothing', async (t) => {
  const file = join(folder(t), 'state.json')
  const h = await harness(t, { exportOnExit: file })
  await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  await h.app.close()
  t.notOk(existsSync(file))
})

t.test('the timer writes meanwhile, one write at a time; a failed write is logged and the next still tries', async (t) => {
  const dir = folder(t)
  const file = join(dir, 'state.json')
  const h = await harness(t, { exportOnExit: file, exportIntervalSeconds: 30 })
  let lines = ''
  const app = Fastify({ logger: { level: 'info', stream: new Writable({ write (chunk, _encoding, done) { lines += String(chunk); done() } }) } })
  const timers: Array<{ fire: () => void, ms: number, stopped: boolean }> = []
  installStatePersistence(app, h.services, (fire, ms) => {
    const timer = { fire, ms, stopped: false }
    timers.push(timer)
    return () => { timer.stopped = true }
  })
  t.same(timers, [], 'no timer before it listens')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const timer = timers[0] as typeof timers[number]
  t.equal(timer.ms, 30_000)

  await h.newTask({ type: 'text_to_model', prompt: 'first' })
  timer.fire()
  timer.fire() // while the first write is going: skipped
  while (!lines.includes('state written (periodic)')) await new Promise<void>((resolve) => { setImmediate(resolve) })
  t.equal(lines.split('state written (periodic)').length - 1, 1, 'one write')
  t.same(read(file).tenants[0]?.tasks.map((task) => task.params.prompt), ['first'])

  rmSync(dir, { recursive: true })
  timer.fire()
  while (!lines.includes('periodic state export failed')) await new Promise<void>((resolve) => { setImmediate(resolve) })
  mkdirSync(dir)
  await h.newTask({ type: 'text_to_model', prompt: 'second' })
  await app.close()
  t.ok(timer.stopped, 'the timer stops on close')
  t.same(read(file).tenants[0]?.tasks.map((task) => task.params.prompt), ['first', 'second'], 'the exit write')
})

t.test('a failed write at exit fails the close (the server then exits 1), and the old file stays', async (t) => {
  const dir = folder(t)
  const file = join(dir, 'state.json')
  const h = await harness(t, { exportOnExit: file })
  await h.listen()
  rmSync(dir, { recursive: true })
  await t.rejects(h.app.close(), { code: 'ENOENT' })
})

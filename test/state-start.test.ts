/**
 * The `import` setting: the emulator starts from a snapshot (a file, or a prepared state by name);
 * what the start asks for stays on top (the clock's mode and speed, the configured scenarios); a
 * snapshot that cannot be imported stops the start with one line; when the file is also the
 * exportOnExit file and does not exist yet, the start is a first one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/infra/config.ts'
import { bearer, harness, KEY } from './fixtures/harness.ts'

function folder (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-state-start-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

t.test('starts from a snapshot file; the start\'s clock settings and scenarios stay on top of it', async (t) => {
  const source = await harness(t)
  const id = await source.newTask({ type: 'text_to_model', prompt: 'a cat' })
  source.services.clock.setSpeed(7)
  source.services.scenarios.activate('error-2004')
  const file = join(folder(t), 'state.json')
  writeFileSync(file, JSON.stringify(source.services.state.export({ writtenAt: 'x' })))

  const h = await harness(t, { import: file, scenarios: ['error-2010'], scenarioKeys: { [KEY]: ['task-failed'] } })
  t.match((await h.getTask(id)).json(), { code: 0, data: { task_id: id, status: 'queued' } })
  t.match(h.services.clock.state(), { mode: 'manual', speed: 1 }, 'the clock as the start made it, not the snapshot\'s speed 7')
  t.same(h.services.scenarios.activeGlobally().sort(), ['error-2004', 'error-2010'], 'the snapshot\'s and the configured')
  t.same(h.services.scenarios.bindings(), { [KEY]: ['task-failed'] })
})

t.test('a snapshot that cannot be imported stops the start with one line naming the file and the field', async (t) => {
  const file = join(folder(t), 'state.json')
  writeFileSync(file, JSON.stringify({ format: 'tripo-mock/state', version: 7 }))
  await t.rejects(buildApp({ config: loadConfig({ overrides: { import: file } }), logger: false }), {
    name: 'StartupError',
    message: `cannot import ${file}: version: 7 is newer than this tripo-mock reads; this tripo-mock reads version 1 (use a newer tripo-mock)`
  })
  await t.rejects(buildApp({ config: loadConfig({ overrides: { import: join(folder(t), 'missing.json') } }), logger: false }), { name: 'StartupError', message: /^cannot read the state file .*missing\.json: ENOENT/ })
})

t.test('import and exportOnExit the same file: missing, it is a first start; present, it is loaded', async (t) => {
  const file = join(folder(t), 'state.json')
  const first = await harness(t, { import: file, exportOnExit: file })
  t.equal(first.services.emulator.taskCount, 0)
  await first.listen()
  const id = await first.newTask({ type: 'text_to_model', prompt: 'a cat' })
  await first.app.close()
  const second = await harness(t, { import: file, exportOnExit: file })
  t.equal((await second.getTask(id)).json().code, 0, 'the first start\'s task')
})

t.test('the demo state loads by name: tasks of both surfaces in every status, an upload, all live as they were', async (t) => {
  const h = await harness(t, { import: 'demo' })
  const key = 'tsk_demo_qa'
  const demo = JSON.parse(JSON.stringify(h.services.state.export({ key, writtenAt: 'x' }))) as { tenants: Array<{ tasks: Array<{ id: string, surface: string }> }>, files: { uploads: Array<{ token: string, kind?: string }> } }
  const statuses = new Map<string, Set<string>>([['v2', new Set()], ['v3', new Set()]])
  for (const task of demo.tenants[0]?.tasks ?? []) {
    const v3 = (await h.app.inject({ url: `/v3/tasks/${task.id}`, headers: bearer(key) })).json().data
    const v2 = (await h.app.inject({ url: `/v2/openapi/task/${task.id}`, headers: bearer(key) })).json().data
    statuses.get(task.surface)?.add(v2.status)
    t.equal(v3.task_id, v2.task_id, 'read on both surfaces')
  }
  const every = ['queued', 'running', 'success', 'failed', 'banned', 'expired', 'cancelled', 'unknown']
  t.same([...statuses.get('v2') ?? []].sort(), [...every].sort(), 'V2 tasks in every status')
  t.same([...statuses.get('v3') ?? []].sort(), [...every].sort(), 'V3 tasks in every status')
  const image = demo.files.uploads.find((upload) => upload.kind === 'image')?.token as string
  const fromUpload = await h.app.inject({ method: 'POST', url: '/v3/generation/image-to-model', headers: bearer(key), payload: { input: image, model: 'v3.1-20260211' } })
  t.equal(fromUpload.statusCode, 200, 'its upload is live')
})

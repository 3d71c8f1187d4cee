/**
 * The in-process handle's snapshots: `mock.state.export()` and `import()`, whole or for one key,
 * with the control plane's refusals; what they hand over is a copy; `close()` writes exportOnExit.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ApiError, startTripoMock } from '../src/index.ts'

const KEY = 'tsk_in_process_state'
const AUTH = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }

t.test('export, import into another emulator, export again; one key alone; refusals as ApiError', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-handle-state-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const file = join(dir, 'state.json')
  const mock = await startTripoMock({ clockMode: 'manual', logger: false, exportOnExit: file })
  t.teardown(() => mock.close())
  const created = await fetch(`${mock.apiUrl}/generation/text-to-model`, { method: 'POST', headers: AUTH, body: JSON.stringify({ prompt: 'a cat', model: 'v3.1-20260211' }) })
  const id = (await created.json() as { data: { task_id: string } }).data.task_id

  const document = mock.state.export()
  t.match(document, { format: 'tripo-mock/state', version: 1, clock: { mode: 'manual' } })
  const copy = structuredClone(document)
  ;(document['tenants'] as Array<{ balance: number }>)[0]!.balance = 1
  t.equal(mock.credits.get(KEY).balance, 9980, 'the exported document is a copy')

  const { writtenAt: _a, ...first } = mock.state.export()
  t.match(mock.state.import(copy), { scope: 'all', shiftedMs: 0, parts: { tenants: { tenants: 1, tasks: 1 } } })
  ;(copy['tenants'] as Array<{ balance: number }>)[0]!.balance = 2
  t.equal(mock.credits.get(KEY).balance, 9980, 'the imported document stays the caller\'s')
  const { writtenAt: _b, ...again } = mock.state.export()
  t.same(again, first, 'export, import, export: the same document')

  const other = await startTripoMock({ clockMode: 'manual', logger: false })
  t.teardown(() => other.close())
  t.ok(other.state.import(first as never).shiftedMs >= 0)
  t.equal(other.tasks.get(id).status, 'queued')
  t.equal(other.credits.get(KEY).balance, 9980)

  const mine = other.state.export({ key: KEY })
  t.equal(mine.key, KEY)
  t.match(other.state.import(mine, { key: KEY }), { scope: 'tenant', parts: { tenants: { tasks: 1 } } })
  t.throws(() => other.state.import(mine), ApiError)
  t.throws(() => other.state.import({ ...mine, version: 3 }, { key: KEY }), { key: 'MOCK_BAD_REQUEST', message: /version: 3 is newer/ })

  await mock.close()
  t.match(JSON.parse(readFileSync(file, 'utf8')), { tenants: [{ key: KEY, tasks: [{ id }] }] }, 'close() wrote exportOnExit')
})

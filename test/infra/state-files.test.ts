/**
 * Snapshot files: a prepared state by name or a file by path; a missing or broken file is one line;
 * the export target is checked at start; a write is whole or not at all, never over a folder.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { StartupError } from '../../src/infra/config.ts'
import { checkExportTarget, PREPARED_STATES_DIR, preparedStates, readStateFile, statePath, writeStateFile } from '../../src/infra/state-files.ts'

function folder (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-state-files-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

t.test('a name is a prepared state of the package; anything with a slash or a dot is a path', async (t) => {
  t.ok(preparedStates().includes('demo'))
  t.equal(statePath('demo'), join(PREPARED_STATES_DIR, 'demo.json'))
  t.equal(statePath('./demo'), './demo')
  t.equal(statePath('demo.json'), 'demo.json')
  t.match(readStateFile('demo'), { format: 'tripo-mock/state', version: 1 })
  t.throws(() => readStateFile('nope'), new StartupError(`no prepared state "nope" (there are: ${preparedStates().join(', ')}); a file needs a slash or a dot in its path, e.g. ./nope`))
})

t.test('a file that is missing, unreadable or not JSON stops the start in one line; a missing one may be a first start', async (t) => {
  const dir = folder(t)
  const missing = join(dir, 'state.json')
  t.throws(() => readStateFile(missing), { name: 'StartupError', message: new RegExp(`^cannot read the state file ${missing}: ENOENT`) })
  t.equal(readStateFile(missing, true), undefined, 'allowed to be missing')
  t.throws(() => readStateFile(dir, true), { message: new RegExp(`^cannot read the state file ${dir}: EISDIR`) }, 'a folder is not missing')
  writeFileSync(missing, '{"format": ')
  t.throws(() => readStateFile(missing), { name: 'StartupError', message: new RegExp(`^the state file ${missing} is not JSON: `) })
})

t.test('the export target: a file in a writable folder; a folder, or a folder that is missing, is refused at start', async (t) => {
  const dir = folder(t)
  t.doesNotThrow(() => { checkExportTarget(join(dir, 'state.json')) })
  writeFileSync(join(dir, 'there.json'), '{}')
  t.doesNotThrow(() => { checkExportTarget(join(dir, 'there.json')) }, 'an existing file is replaced at exit')
  t.throws(() => { checkExportTarget(dir) }, new StartupError(`exportOnExit ${dir} is a folder: name a file in it, e.g. ${join(dir, 'state.json')}`))
  t.throws(() => { checkExportTarget(join(dir, 'missing', 'state.json')) }, { name: 'StartupError', message: new RegExp(`^exportOnExit ${dir}/missing/state\\.json: cannot write in ${dir}/missing: ENOENT`) })
})

t.test('a write replaces the file whole, through a temporary file beside it that does not stay', async (t) => {
  const dir = folder(t)
  const file = join(dir, 'state.json')
  writeFileSync(file, 'old')
  await writeStateFile(file, '{"new":true}')
  t.equal(readFileSync(file, 'utf8'), '{"new":true}')
  t.same(readdirSync(dir), ['state.json'], 'no temporary file left')
})

t.test('never over a folder; a failed write leaves the old file and no temporary file', async (t) => {
  const dir = folder(t)
  mkdirSync(join(dir, 'state.json'))
  await t.rejects(writeStateFile(join(dir, 'state.json'), '{}'), { message: `${join(dir, 'state.json')} is a folder: the state was not written` })
  t.same(readdirSync(dir), ['state.json'])
  await t.rejects(writeStateFile(join(dir, 'missing', 'state.json'), '{}'), { code: 'ENOENT' })
  t.same(readdirSync(dir), ['state.json'], 'nothing written')
})

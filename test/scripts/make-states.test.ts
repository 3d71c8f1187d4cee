/**
 * The prepared states: `npm run states` rebuilds states/ to the same documents (so the shipped
 * demo never drifts from what the emulator writes), and every one of them imports.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { uncoveredEnv } from '../fixtures/uncovered.ts'
import { harness } from '../fixtures/harness.ts'

const ROOT = new URL('../../', import.meta.url)
const STATES = new URL('states/', ROOT)

/** A document without the version of the emulator that wrote it (a release changes only that). */
const unversioned = (text: string) => {
  const { emulatorVersion: _version, ...rest } = JSON.parse(text) as Record<string, unknown>
  return rest
}

t.test('the generator rebuilds every prepared state', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'tripo-mock-states-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  // The script runs by tsx, without coverage (see fixtures/uncovered.ts): it is checked by its output.
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/make-states.ts', folder], { cwd: ROOT, env: uncoveredEnv() })
  t.same(readdirSync(folder), readdirSync(STATES))
  for (const name of readdirSync(folder)) {
    t.same(unversioned(readFileSync(join(folder, name), 'utf8')), unversioned(readFileSync(new URL(name, STATES), 'utf8')), `${name}: the same document (run npm run states after changing what a snapshot holds)`)
  }
})

t.test('every prepared state imports, and is small', async (t) => {
  for (const name of readdirSync(STATES)) {
    const h = await harness(t)
    const text = readFileSync(new URL(name, STATES), 'utf8')
    t.equal(h.services.state.import(JSON.parse(text)).scope, 'all', name)
    t.ok(text.length < 100 * 1024, `${name}: ${text.length} bytes`)
  }
})

/**
 * The bundled server (dist/server.js as `npm run build` makes it, which `npm test` runs first)
 * carries the scenario-file validator precompiled (scripts/bundle.ts): it must refuse exactly what
 * the sources refuse, with the same words, every problem of a file.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { load as parseYaml } from 'js-yaml'
import t from 'tap'
import { compileScenario, type ScenarioError } from '../../src/domain/scenarios/compile.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

const BAD_FILES: Record<string, string> = {
  'fault-type': 'description: x\nrules:\n  - effect: { fault: { type: bogus } }\n',
  'latency-kind': 'description: x\nrules:\n  - effect: { latency: { kind: parsecs } }\n',
  'unknown-field': 'description: x\nrules:\n  - effect: { error: 1000 }\n    colour: red\n',
  'missing-rules': 'description: x\n',
  'wrong-type': 'description: 5\nrules: []\n',
  'described-form': 'description: x\nrules:\n  - match: { nth: "often" }\n    effect: { error: 1000 }\n'
}

async function validateWithBundle (folder: string): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, ['dist/server.js', 'validate', folder], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stderr }
}

t.test('the bundle refuses a bad scenario file in the words of the sources', async (t) => {
  t.match(readFileSync(join(root, 'dist/server.js'), 'utf8'), 'validateScenarioFile=validate0', 'the bundle carries the precompiled validator (Ajv standalone code)')
  for (const [name, text] of Object.entries(BAD_FILES)) {
    const folder = mkdtempSync(join(tmpdir(), 'tripo-bundle-'))
    t.teardown(() => { rmSync(folder, { recursive: true, force: true }) })
    const file = join(folder, `${name}.yaml`)
    writeFileSync(file, text)
    const expected = t.throws(() => compileScenario(parseYaml(text), { name, origin: 'file', file: `${name}.yaml` })) as ScenarioError
    const bundled = await validateWithBundle(folder)
    t.equal(bundled.code, 1, `${name}: refused`)
    // validate names each file with the folder it was given.
    t.equal(bundled.stderr, expected.problems.map((problem) => `${folder}/${problem}\n`).join(''), `${name}: ${expected.message}`)
  }
})

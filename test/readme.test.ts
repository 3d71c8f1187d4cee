/**
 * The README stays true: it lists every built-in scenario with its description.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { loadScenarios } from '../src/domain/scenarios/loader.ts'
import { BUILTIN_SCENARIOS_DIR } from '../src/services.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('the README lists every built-in scenario with its description', async (t) => {
  const rows = new Map([...readme.matchAll(/^\| `([a-z0-9-]+)` \| (.+) \|$/gm)].map((match) => [match[1], match[2]]))
  for (const scenario of loadScenarios(BUILTIN_SCENARIOS_DIR, '')) {
    t.equal(rows.get(scenario.name), scenario.description, scenario.name)
  }
})

/**
 * The control plane's shared actions, where the routes and the in-process tests do not reach:
 * what is not a refusal is passed on (a bug stays a bug: a 500 over HTTP, a thrown error in
 * process), never a 9400 that blames the caller; a scenario without a file.
 */
import t from 'tap'
import { reloadScenarios, scenarioSummary } from '../../src/control/actions.ts'
import { compileScenario } from '../../src/domain/scenarios/compile.ts'
import type { Services } from '../../src/services.ts'

t.test('a scenario reload that fails for another reason than a bad scenario is passed on', async (t) => {
  const broken = { reloadScenarios () { throw new TypeError('the disk is on fire') } } as unknown as Services
  t.throws(() => reloadScenarios(broken), new TypeError('the disk is on fire'))
})

t.test('a scenario summary names its file only when it has one', async (t) => {
  const scenario = compileScenario({ description: 'no file', rules: [{ effect: { pass: true } }] }, { name: 'bare', origin: 'adhoc' })
  const services = { scenarios: { bindings: () => ({}), activeGlobally: () => [] } } as unknown as Services
  t.same(scenarioSummary(services, scenario), { name: 'bare', description: 'no file', origin: 'adhoc', rules: 1, activeGlobally: false, keys: [] })
})

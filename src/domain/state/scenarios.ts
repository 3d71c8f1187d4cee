/**
 * The `scenarios` section of a snapshot: the ad-hoc scenarios (in their file form), the scenarios
 * active globally and per key, and the rule counters. The counters are state a client sees: a
 * `once` or `times` rule that already fired, an `nth` count, a sequence half played, the position
 * of a rule's seeded random stream. Without them a restart would fire "fail twice, then pass"
 * twice more. Scenarios loaded from files are not in it: they come from the package and
 * `scenariosDir`, and a snapshot names them.
 */
import { Type, type Static } from 'typebox'
import { compileScenario, type ScenarioError } from '../scenarios/compile.ts'
import type { ScenarioEngine } from '../scenarios/engine.ts'
import { type Scenario, ScenarioFileSchema, SCENARIO_NAME_PATTERN } from '../scenarios/model.ts'
import { maskKey } from '../tenants.ts'
import { type Counts, fieldPath, StateError, type StatePart } from './registry.ts'

const Name = Type.String({ pattern: SCENARIO_NAME_PATTERN })
const Int32 = Type.Integer({ minimum: -(2 ** 31), maximum: 2 ** 31 - 1 })

const CounterSchema = Type.Object({
  key: Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, description: 'The API key; null for requests without one (downloads, S3 puts)' }),
  rule: Type.String({ minLength: 1, description: '`<scenario>/<rule id>`' }),
  matched: Type.Integer({ minimum: 0, description: 'Matching calls so far' }),
  fired: Type.Integer({ minimum: 0, description: 'Times it fired so far' }),
  random: Type.Array(Int32, { minItems: 4, maxItems: 4, description: 'The state of its seeded random stream' })
}, { additionalProperties: false })

export const ScenariosSectionSchema = Type.Object({
  adhoc: Type.Array({ ...ScenarioFileSchema, required: ['name', 'description', 'rules'] }, { description: 'Ad-hoc scenarios, in the file format with a name' }),
  global: Type.Array(Name, { description: 'Scenarios active for every request' }),
  keys: Type.Record(Type.String({ minLength: 1 }), Type.Array(Name), { description: 'Scenarios bound to API keys' }),
  counters: Type.Array(CounterSchema, { description: 'Rule counters, per key' })
}, { additionalProperties: false, description: 'Ad-hoc scenarios, activations and rule counters (scenario files are not part of it)' })

type ScenariosSnapshot = Static<typeof ScenariosSectionSchema>

export function scenariosPart (engine: ScenarioEngine): StatePart<ScenariosSnapshot> {
  return {
    name: 'scenarios',
    schema: ScenariosSectionSchema,
    export (key) {
      const bindings = engine.bindings()
      const counters = engine.counters(key)
      if (key !== undefined) return { adhoc: [], global: [], keys: key in bindings ? { [key]: bindings[key] as string[] } : {}, counters }
      const adhoc = engine.list().filter((scenario) => scenario.origin === 'adhoc').map((scenario) => scenario.source as ScenariosSnapshot['adhoc'][number])
      return { adhoc, global: engine.activeGlobally(), keys: bindings, counters }
    },
    prepare (section = { adhoc: [], global: [], keys: {}, counters: [] }, context) {
      const { key } = context
      if (key !== undefined && section.adhoc.length > 0) throw new StateError('scenarios.adhoc: a snapshot of one key has none (ad-hoc scenarios are shared by every key)')
      if (key !== undefined && section.global.length > 0) throw new StateError('scenarios.global: a snapshot of one key has none (global activations are shared by every key)')
      // The scenarios there will be: the loaded ones, with the snapshot's ad-hoc ones (or the current ones, for one key).
      const known = new Map(engine.list().filter((scenario) => key !== undefined || scenario.origin !== 'adhoc').map((scenario) => [scenario.name, scenario]))
      const adhoc = section.adhoc.map((written, index) => {
        const at = fieldPath('scenarios', 'adhoc', index)
        if (known.has(written.name as string)) throw new StateError(`${at}.name: "${written.name as string}" ${known.get(written.name as string)?.origin === 'adhoc' ? 'appears twice' : 'is a scenario loaded from a file'}`)
        const scenario = compiled(written, at)
        known.set(scenario.name, scenario)
        return scenario
      })
      const name = (value: string, at: string) => {
        if (!known.has(value)) throw new StateError(`${at}: unknown scenario "${value}" (not built in, not in scenariosDir, not ad-hoc)`)
      }
      section.global.forEach((value, index) => { name(value, fieldPath('scenarios', 'global', index)) })
      for (const [owner, names] of Object.entries(section.keys)) {
        if (key !== undefined && owner !== key) throw new StateError(`scenarios.keys: ${maskKey(owner)} is not the snapshot's key`)
        names.forEach((value, index) => { name(value, `${fieldPath('scenarios', 'keys')}["${maskKey(owner)}"][${index}]`) })
      }
      section.counters.forEach((counter, index) => {
        const at = (field: string) => fieldPath('scenarios', 'counters', index, field)
        if (key !== undefined && counter.key !== key) throw new StateError(`${at('key')}: not the snapshot's key`)
        const scenario = known.get(counter.rule.slice(0, counter.rule.indexOf('/')))
        if (scenario?.rules.some((rule) => rule.id === counter.rule) !== true) throw new StateError(`${at('rule')}: no rule ${counter.rule}`)
      })
      return (): Counts => {
        engine.restore({ adhoc, global: section.global, keys: section.keys, counters: section.counters }, key)
        const bindings = engine.bindings()
        const counters = engine.counters(key).length
        if (key !== undefined) return { keys: key in bindings ? 1 : 0, counters }
        return { adhoc: engine.list().filter((scenario) => scenario.origin === 'adhoc').length, global: engine.activeGlobally().length, keys: Object.keys(bindings).length, counters }
      }
    }
  }
}

/** An ad-hoc scenario of the snapshot, compiled as the control plane compiles one. */
function compiled (written: ScenariosSnapshot['adhoc'][number], at: string): Scenario {
  try {
    return compileScenario(written, { origin: 'adhoc', where: at })
  } catch (error) {
    throw new StateError((error as ScenarioError).message)
  }
}

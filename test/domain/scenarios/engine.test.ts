/**
 * The engine: selection and its precedence, each matcher, times/once/sequence, seeded
 * probability, per-key state, the registry.
 */
import t from 'tap'
import type { ApiError } from '../../../src/domain/errors.ts'
import { compileScenario } from '../../../src/domain/scenarios/compile.ts'
import { ScenarioEngine, type ScenarioRequest } from '../../../src/domain/scenarios/engine.ts'
import type { Scenario } from '../../../src/domain/scenarios/model.ts'

const make = (name: string, rules: unknown[], origin: Scenario['origin'] = 'file') => compileScenario({ description: name, rules }, { name, origin })
const request = (over: Partial<ScenarioRequest> = {}): ScenarioRequest => ({ operation: 'createTask', key: 'tsk_a', headers: {}, ...over })
const fired = (engine: ScenarioEngine, names: string[], over: Partial<ScenarioRequest> = {}) => engine.decide({ names, source: 'global' }, request(over))?.rule.id
const failure = (fn: () => unknown): string => {
  try {
    fn()
    return 'no error'
  } catch (error) {
    return `${(error as ApiError).entry.code} ${(error as ApiError).detail ?? ''}`
  }
}

t.test('matchers: operation, task type, prompt, header', async (t) => {
  const engine = new ScenarioEngine({
    seed: 1,
    scenarios: [make('m', [
      { id: 'op', match: { operation: 'getTask' }, effect: { error: 2001 } },
      { id: 'type', match: { taskType: ['text_to_image', 'generate_image'] }, effect: { error: 2002 } },
      { id: 'prompt', match: { prompt: 'dragon' }, effect: { error: 2008 } },
      { id: 'regex', match: { prompt: '/^cat\\b/i' }, effect: { error: 2009 } },
      { id: 'header', match: { header: { 'X-Suite': '/^smoke-/' } }, effect: { error: 1000 } }
    ])]
  })
  t.equal(fired(engine, ['m'], { operation: 'getTask' }), 'm/op')
  t.equal(fired(engine, ['m'], { taskType: 'generate_image' }), 'm/type')
  t.equal(fired(engine, ['m'], { taskType: 'text_to_model', prompt: 'A red Dragon' }), 'm/prompt')
  t.equal(fired(engine, ['m'], { prompt: 'Cat on a mat' }), 'm/regex')
  t.equal(fired(engine, ['m'], { prompt: 'a cat' }), undefined)
  t.equal(fired(engine, ['m'], { headers: { 'x-suite': 'smoke-17' } }), 'm/header')
  t.equal(fired(engine, ['m'], { headers: { 'x-suite': ['smoke-1', 'x'] } }), 'm/header', 'repeated headers are joined')
  t.equal(fired(engine, ['m'], { headers: { 'x-suite': 'full' } }), undefined)
  t.equal(fired(engine, ['m'], { operation: 'getBalance' }), undefined, 'no prompt, no type: nothing matches')
})

t.test('nth, times, once, sequence; counted per API key', async (t) => {
  const engine = new ScenarioEngine({
    seed: 1,
    scenarios: [
      make('nth', [{ match: { nth: [2, 4] }, effect: { error: 1000 } }]),
      make('times', [{ times: 2, effect: { error: 1007 } }]),
      make('once', [{ once: true, effect: { error: 1007 } }]),
      make('seq', [{ sequence: [{ error: 2000 }, { pass: true }, { error: 1001 }] }])
    ]
  })
  t.same([1, 2, 3, 4, 5].map(() => fired(engine, ['nth'])), [undefined, 'nth/0', undefined, 'nth/0', undefined])
  t.same([1, 2, 3].map(() => fired(engine, ['times'])), ['times/0', 'times/0', undefined], 'fail twice, then pass')
  t.same([1, 2].map(() => fired(engine, ['once'])), ['once/0', undefined])
  const seq = [1, 2, 3, 4].map(() => engine.decide({ names: ['seq'], source: 'global' }, request())?.effect)
  t.same(seq.map((effect) => effect?.error ?? (effect?.pass === true ? 'pass' : undefined)), ['GENERATION_LIMIT', 'pass', 'FATAL_ERROR', undefined], 'consecutive calls, then exhausted')
  t.equal(fired(engine, ['times'], { key: 'tsk_b' }), 'times/0', 'another key has its own count')
  engine.reset('tsk_a')
  t.equal(fired(engine, ['times']), 'times/0', 'a key reset starts its counts afresh')
  engine.reset()
  t.equal(fired(engine, ['once'], { key: 'tsk_b' }), 'once/0')
})

t.test('probability draws from a seeded stream: same seed, same faults', async (t) => {
  const scenarios = [make('flaky', [{ match: { probability: 0.3 }, effect: { fault: 'reset' } }])]
  const run = (seed: number, key = 'tsk_a') => {
    const engine = new ScenarioEngine({ seed, scenarios })
    return Array.from({ length: 200 }, () => fired(engine, ['flaky'], { key }) === undefined ? 0 : 1).join('')
  }
  t.equal(run(7), run(7), 'reproducible')
  t.not(run(7), run(8), 'another seed, other faults')
  t.not(run(7, 'tsk_a'), run(7, 'tsk_b'), 'each key its own stream')
  const hits = [...run(7)].filter((bit) => bit === '1').length
  t.ok(hits > 35 && hits < 85, `about 30% fire (${hits}/200)`)
})

t.test('latency samples: fixed, uniform within bounds, log-normal capped, reproducible', async (t) => {
  const engine = new ScenarioEngine({ seed: 3 })
  t.equal(engine.sampleLatency({ kind: 'fixed', ms: 250 }, 'tsk_a', 'r'), 250)
  const uniform = Array.from({ length: 100 }, () => engine.sampleLatency({ kind: 'uniform', low: 100, high: 200 }, 'tsk_a', 'u'))
  t.ok(uniform.every((ms) => ms >= 100 && ms <= 200))
  const lognormal = Array.from({ length: 500 }, () => engine.sampleLatency({ kind: 'lognormal', median: 300, sigma: 0.6, max: 2000 }, 'tsk_a', 'l'))
  t.ok(lognormal.every((ms) => ms >= 0 && ms <= 2000))
  const sorted = [...lognormal].sort((a, b) => a - b)
  const median = sorted[250] as number
  t.ok(median > 240 && median < 360, `median near 300 (${median})`)
  const again = new ScenarioEngine({ seed: 3 })
  t.same(Array.from({ length: 100 }, () => again.sampleLatency({ kind: 'uniform', low: 100, high: 200 }, 'tsk_a', 'u')), uniform)
})

t.test('selection: header, then prompt, then key, then global; unknown names refused', async (t) => {
  const scenarios = ['a', 'b', 'c', 'd', 'e'].map((name) => make(name, [{ effect: { pass: true } }]))
  const engine = new ScenarioEngine({ seed: 1, scenarios, global: ['d'], keys: { tsk_bound: ['c'] } })
  t.same(engine.select('tsk_bound', ['a'], ['b']), { names: ['a'], source: 'header' })
  t.same(engine.select('tsk_bound', [], ['b']), { names: ['b'], source: 'prompt' })
  t.same(engine.select('tsk_bound'), { names: ['c'], source: 'key' })
  t.same(engine.select('tsk_mock_a+e_suite-1'), { names: ['a', 'e'], source: 'key' }, 'the key names its scenarios')
  t.same(engine.select('tsk_mock_b'), { names: ['b'], source: 'key' })
  t.same(engine.select('tsk_plain'), { names: ['d'], source: 'global' })
  t.same(engine.select(undefined), { names: ['d'], source: 'global' })
  t.equal(failure(() => engine.select('tsk_a', ['a', 'zz', 'yy'])), '9400 unknown scenario "zz", "yy" in X-Tripo-Mock-Scenario; see GET /__mock/scenarios')
  t.equal(failure(() => engine.select('tsk_a', undefined, ['zz'])), '9400 unknown scenario "zz" in the prompt directive; see GET /__mock/scenarios')
  t.equal(failure(() => engine.select('tsk_mock_zz_1')), '9400 unknown scenario "zz" in the API key; see GET /__mock/scenarios')
  engine.deactivate('d')
  t.equal(engine.select('tsk_plain'), undefined, 'nothing active')
  t.same(engine.activeGlobally(), [])
  engine.activate('e', 'tsk_plain')
  t.same(engine.bindings(), { tsk_bound: ['c'], tsk_plain: ['e'] })
  engine.deactivate('e', 'tsk_plain')
  engine.deactivate('e', 'tsk_never_bound')
  t.same(engine.bindings(), { tsk_bound: ['c'] })
  engine.activate('d')
  t.same(engine.select('tsk_plain'), { names: ['d'], source: 'global' }, 'a key whose bindings were all removed falls back to the global set')
  engine.deactivate('d')
  t.equal(failure(() => engine.activate('zz')), '9410 unknown scenario "zz"')
  engine.reset('tsk_bound')
  t.same(engine.bindings(), {}, 'a key reset forgets its bindings')
})

t.test('the registry: loaded and ad-hoc scenarios, reload keeps ad-hoc ones', async (t) => {
  const engine = new ScenarioEngine({ seed: 1, scenarios: [make('a', [{ effect: { pass: true } }], 'builtin')], global: ['a'] })
  engine.addAdhoc(make('mine', [{ times: 1, effect: { error: 1000 } }], 'adhoc'))
  engine.activate('mine', 'tsk_a')
  t.same(engine.list().map((s) => s.name), ['a', 'mine'])
  t.equal(fired(engine, ['mine']), 'mine/0')
  engine.addAdhoc(make('mine', [{ times: 1, effect: { error: 1001 } }], 'adhoc'))
  t.equal(fired(engine, ['mine']), 'mine/0', 'a replaced scenario starts with fresh counts')
  t.equal(failure(() => engine.addAdhoc(make('a', [{ effect: { pass: true } }], 'adhoc'))), '9400 scenario "a" exists (builtin); pick another name')
  t.equal(failure(() => engine.removeAdhoc('a')), '9400 scenario "a" is builtin; only ad-hoc scenarios can be removed')

  engine.replaceLoaded([make('b', [{ effect: { pass: true } }], 'builtin')])
  t.same(engine.list().map((s) => s.name).sort(), ['b', 'mine'], 'a is gone, the ad-hoc one stays')
  t.same(engine.activeGlobally(), [], 'activations of vanished scenarios are dropped')
  t.same(engine.bindings(), { tsk_a: ['mine'] })
  engine.replaceLoaded([make('mine', [{ effect: { pass: true } }], 'file')])
  t.equal(engine.get('mine')?.origin, 'file', 'a file takes the name back from an ad-hoc scenario')
  engine.addAdhoc(make('temp', [{ effect: { pass: true } }], 'adhoc'))
  engine.activate('temp')
  engine.removeAdhoc('temp')
  t.equal(engine.get('temp'), undefined)
  t.same(engine.activeGlobally(), [])
})

t.test('a fate rule fires only on task creation', async (t) => {
  const engine = new ScenarioEngine({ seed: 1, scenarios: [make('f', [{ effect: { fate: { status: 'banned' } } }])] })
  t.equal(fired(engine, ['f'], { operation: 'getTask' }), undefined)
  t.equal(engine.decide({ names: ['f'], source: 'global' }, request())?.effect.fate?.status, 'banned')
})

t.test('a key bound to a loaded scenario that a reload removes loses the binding; keyless requests count together', async (t) => {
  const engine = new ScenarioEngine({ seed: 1, scenarios: [make('a', [{ times: 1, effect: { error: 1000 } }], 'builtin')], keys: { tsk_x: ['a'] } })
  engine.replaceLoaded([])
  t.same(engine.bindings(), {})
  engine.replaceLoaded([make('a', [{ times: 1, effect: { error: 1000 } }], 'builtin')])
  t.equal(fired(engine, ['a'], { key: undefined }), 'a/0')
  t.equal(fired(engine, ['a'], { key: undefined }), undefined, 'requests without a key share one count')
})

t.test('rule counters: per key (null for requests without one), restored with their random streams', async (t) => {
  const rules = [{ id: 'coin', match: { probability: 0.5 }, effect: { error: 1000 } }]
  const engine = new ScenarioEngine({ seed: 3, scenarios: [make('p', rules)] })
  for (let i = 0; i < 3; i++) {
    fired(engine, ['p'], { key: undefined, operation: 'download' })
    fired(engine, ['p'])
  }
  const counters = engine.counters()
  t.same(counters.map((counter) => [counter.key, counter.rule, counter.matched]), [[null, 'p/coin', 3], ['tsk_a', 'p/coin', 3]])
  t.same(engine.counters('tsk_a'), counters.slice(1))

  const copy = new ScenarioEngine({ seed: 99, scenarios: [make('p', rules)] })
  copy.restore({ adhoc: [], global: [], keys: {}, counters })
  const next = (of: ScenarioEngine) => Array.from({ length: 8 }, () => [fired(of, ['p'], { key: undefined, operation: 'download' }), fired(of, ['p'])])
  t.same(next(copy), next(engine), 'the streams go on where they were, whatever the seed')
  t.same(copy.counters(), engine.counters())
})

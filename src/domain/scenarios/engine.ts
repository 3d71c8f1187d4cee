/**
 * The scenario engine: which scenarios a request runs under, and which rule (if any) fires.
 *
 * Selection, narrowest first (the first that names anything wins): the request header
 * `X-Tripo-Mock-Scenario`, a directive in the prompt, scenarios bound to the API key (by
 * configuration, the control plane or the key's name), then the global set.
 *
 * Rule state (how many calls matched, how many times it fired, its random stream) is kept per API
 * key, so parallel tests with their own keys never consume each other's `times` or `nth`, and the
 * same seed replays the same faults.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus'
import { ApiError } from '../errors.ts'
import type { ApiSurface, Operation } from '../operations.ts'
import type { Effect, Latency, Rule, Scenario } from './model.ts'

export interface ScenarioRequest {
  readonly operation: Operation
  /** The API surface it came through; none for downloads and S3 puts. */
  readonly surface?: ApiSurface | undefined
  /** The API key (tenant) of the request, when it has one. */
  readonly key: string | undefined
  readonly taskType?: string | undefined
  readonly prompt?: string | undefined
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

export type SelectionSource = 'header' | 'prompt' | 'key' | 'global'

export interface Selection {
  readonly names: readonly string[]
  readonly source: SelectionSource
}

export interface Decision {
  /** The rule that decided the outcome, or, when only latency rules fired, the first of them. */
  readonly scenario: Scenario
  readonly rule: Rule
  readonly effect: Effect
  readonly source: SelectionSource
  /** The other rules that fired, each for its latency alone: their delays add to the effect's own. */
  readonly delays: readonly FiredDelay[]
}

/** A rule that fired for its latency alone. */
export interface FiredDelay {
  readonly scenario: string
  readonly ruleId: string
  readonly latency: Latency
}

const NO_DELAYS: readonly FiredDelay[] = []

/** An effect that decides what the answer is (or how a webhook delivery goes); an effect with latency alone only delays it. */
export function decidesOutcome (effect: Effect): boolean {
  return effect.error !== undefined || effect.fate !== undefined || effect.fault !== undefined || effect.pass === true || effect.webhook !== undefined
}

type Random = () => number

interface RuleState {
  matched: number
  fired: number
  readonly random: Random
  /** The generator behind `random`, whose state a snapshot keeps. */
  readonly rng: RandomGenerator
}

type RandomGenerator = ReturnType<typeof xoroshiro128plus>

/** A rule's progress for one key: what `times`, `nth` and `sequence` have used, and where its random stream is. */
export interface RuleCounter {
  /** The API key; null for requests without one (downloads, S3 puts). */
  readonly key: string | null
  /** `<scenario>/<rule id>`. */
  readonly rule: string
  readonly matched: number
  readonly fired: number
  /** The state of the rule's random stream (xoroshiro128+, four 32-bit integers). */
  readonly random: number[]
}

/** What a snapshot holds of the engine: the ad-hoc scenarios, the activations, the rule counters. */
export interface ScenarioState {
  readonly adhoc: readonly Scenario[]
  readonly global: readonly string[]
  readonly keys: Readonly<Record<string, readonly string[]>>
  readonly counters: readonly RuleCounter[]
}

export interface ScenarioEngineOptions {
  readonly seed: number
  readonly scenarios?: readonly Scenario[]
  /** Scenarios active for every request that names none. */
  readonly global?: readonly string[]
  /** Scenarios bound to API keys by configuration. */
  readonly keys?: Readonly<Record<string, readonly string[]>>
}

/** `tsk_mock_<scenario>[+<scenario>...][_<anything>]`: a key that names its scenarios. */
const KEY_CONVENTION = /^tsk_mock_([a-z0-9][a-z0-9-]*(?:\+[a-z0-9][a-z0-9-]*)*)(?:_.*)?$/

export class ScenarioEngine {
  private readonly seed: number
  private readonly scenarios = new Map<string, Scenario>()
  private readonly global = new Set<string>()
  private readonly keyBindings = new Map<string, Set<string>>()
  /** Rule state by API key ('' for none), then by rule id: a key's state goes in one step. */
  private readonly states = new Map<string, Map<string, RuleState>>()

  constructor (options: ScenarioEngineOptions) {
    this.seed = options.seed
    for (const scenario of options.scenarios ?? []) this.scenarios.set(scenario.name, scenario)
    for (const name of options.global ?? []) this.activate(name)
    for (const [key, names] of Object.entries(options.keys ?? {})) for (const name of names) this.activate(name, key)
  }

  // ---- the registry ----

  list (): Scenario[] {
    return [...this.scenarios.values()]
  }

  get (name: string): Scenario | undefined {
    return this.scenarios.get(name)
  }

  /**
   * Replaces the scenarios loaded from files (built-in and configured folders), keeping the ad-hoc
   * ones. Activations of scenarios that no longer exist are dropped; rule state starts afresh.
   */
  replaceLoaded (loaded: readonly Scenario[]): void {
    for (const [name, scenario] of this.scenarios) if (scenario.origin !== 'adhoc') this.scenarios.delete(name)
    for (const scenario of loaded) {
      if (this.scenarios.get(scenario.name)?.origin === 'adhoc') this.scenarios.delete(scenario.name)
      this.scenarios.set(scenario.name, scenario)
    }
    for (const name of this.global) if (!this.scenarios.has(name)) this.global.delete(name)
    for (const names of this.keyBindings.values()) for (const name of names) if (!this.scenarios.has(name)) names.delete(name)
    this.states.clear()
  }

  /** Adds (or replaces) an ad-hoc scenario; a loaded scenario of the same name is refused. */
  addAdhoc (scenario: Scenario): void {
    const existing = this.scenarios.get(scenario.name)
    if (existing !== undefined && existing.origin !== 'adhoc') throw unknownOrTaken(`scenario "${scenario.name}" exists (${existing.origin}); pick another name`)
    this.scenarios.set(scenario.name, scenario)
    this.forgetRules(scenario.name)
  }

  /** Removes an ad-hoc scenario (and its activations). */
  removeAdhoc (name: string): void {
    const scenario = this.known(name)
    if (scenario.origin !== 'adhoc') throw unknownOrTaken(`scenario "${name}" is ${scenario.origin}; only ad-hoc scenarios can be removed`)
    this.scenarios.delete(name)
    this.global.delete(name)
    for (const names of this.keyBindings.values()) names.delete(name)
    this.forgetRules(name)
  }

  // ---- activation ----

  /** Activates a scenario globally, or for one API key. */
  activate (name: string, key?: string): void {
    this.known(name)
    if (key === undefined) {
      this.global.add(name)
    } else {
      const names = this.keyBindings.get(key) ?? new Set()
      names.add(name)
      this.keyBindings.set(key, names)
    }
  }

  deactivate (name: string, key?: string): void {
    this.known(name)
    if (key === undefined) this.global.delete(name)
    else this.keyBindings.get(key)?.delete(name)
  }

  activeGlobally (): string[] {
    return [...this.global]
  }

  /** The keys each scenario is bound to (by configuration or the control plane). */
  bindings (): Record<string, string[]> {
    const result: Record<string, string[]> = {}
    for (const [key, names] of this.keyBindings) if (names.size > 0) result[key] = [...names]
    return result
  }

  // ---- selection and decision ----

  /**
   * The scenarios a request runs under. `header` and `prompt` are the names the request itself
   * gave (undefined: none given). Unknown names are refused with a clear mock error.
   */
  select (key: string | undefined, header?: readonly string[], prompt?: readonly string[]): Selection | undefined {
    if (header !== undefined && header.length > 0) return { names: this.checked(header, 'X-Tripo-Mock-Scenario'), source: 'header' }
    if (prompt !== undefined && prompt.length > 0) return { names: this.checked(prompt, 'the prompt directive'), source: 'prompt' }
    const named = key === undefined ? undefined : KEY_CONVENTION.exec(key)?.[1]
    const bound = key === undefined ? undefined : this.keyBindings.get(key)
    // Most keys name no scenario and have none bound: they get here without allocating.
    if (named !== undefined || (bound !== undefined && bound.size > 0)) {
      const names = [...new Set([...this.checked(named?.split('+') ?? [], 'the API key'), ...bound ?? []])]
      return { names, source: 'key' }
    }
    return this.global.size > 0 ? { names: [...this.global], source: 'global' } : undefined
  }

  /**
   * What the selected scenarios do to this request. The rules are walked in order (scenarios as
   * named, then their rules): the first that fires with an error, fate, fault or pass decides the
   * outcome, and rules with an outcome after it are not consulted (their counters do not move);
   * every rule that fires with latency alone adds its delay, before or after the outcome's rule.
   */
  decide (selection: Selection, request: ScenarioRequest): Decision | undefined {
    // The rule leading so far (undefined: none fired), kept in plain variables: no object per rule.
    let leader: Rule | undefined
    let leaderScenario: Scenario | undefined
    let leaderEffect: Effect | undefined
    let delays: FiredDelay[] | undefined
    for (const name of selection.names) {
      const scenario = this.scenarios.get(name) as Scenario
      for (const rule of scenario.rules) {
        if (!matches(rule, request)) continue
        const state = this.stateOf(request.key, rule.id)
        const effect = rule.effects[rule.sequence ? Math.min(state.fired, rule.effects.length - 1) : 0] as Effect
        if (leaderEffect !== undefined && decidesOutcome(leaderEffect) && decidesOutcome(effect)) continue
        state.matched += 1
        if (rule.match.nth !== undefined && !rule.match.nth(state.matched)) continue
        if (rule.times !== undefined && state.fired >= rule.times) continue
        if (rule.sequence && state.fired >= rule.effects.length) continue
        if (rule.match.probability !== undefined && state.random() >= rule.match.probability) continue
        state.fired += 1
        if (leader !== undefined && !decidesOutcome(effect)) {
          (delays ??= []).push({ scenario: scenario.name, ruleId: rule.id, latency: effect.latency as Latency })
          continue
        }
        // An outcome after a rule of latency alone: the outcome's rule leads, the other one delays.
        if (leader !== undefined) (delays ??= []).push({ scenario: (leaderScenario as Scenario).name, ruleId: leader.id, latency: (leaderEffect as Effect).latency as Latency })
        leader = rule
        leaderScenario = scenario
        leaderEffect = effect
      }
    }
    if (leader === undefined) return undefined
    return { scenario: leaderScenario as Scenario, rule: leader, effect: leaderEffect as Effect, source: selection.source, delays: delays ?? NO_DELAYS }
  }

  /** A latency, drawn from the random stream of the rule that asked for it (reproducible under one seed). */
  sampleLatency (latency: Latency, key: string | undefined, ruleId: string): number {
    const random = this.stateOf(key, ruleId).random
    switch (latency.kind) {
      case 'fixed': return latency.ms
      case 'uniform': return Math.round(latency.low + (latency.high - latency.low) * random())
      case 'lognormal': {
        // Box–Muller: a standard normal draw from two uniforms.
        const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
        return Math.round(Math.min(latency.max, latency.median * Math.exp(latency.sigma * normal)))
      }
    }
  }

  /** Forgets rule state and key bindings: of one key, or all (activations by config stay global). */
  reset (key?: string): void {
    if (key === undefined) {
      this.states.clear()
      this.keyBindings.clear()
      return
    }
    this.keyBindings.delete(key)
    this.states.delete(key)
  }

  /** Forgets a key's rule state, keeping its bindings (the tenant bounds forgot the key: it held nothing). */
  forgetRuleState (key: string): void {
    this.states.delete(key)
  }

  /** The rule counters of one key, or every one (requests without a key included). */
  counters (key?: string): RuleCounter[] {
    const counters: RuleCounter[] = []
    for (const [owner, byRule] of this.states) {
      if (key !== undefined && owner !== key) continue
      for (const [rule, state] of byRule) {
        counters.push({ key: owner === '' ? null : owner, rule, matched: state.matched, fired: state.fired, random: [...state.rng.getState()] })
      }
    }
    return counters
  }

  /**
   * Replaces the ad-hoc scenarios, the activations and the rule counters by a snapshot's; for one
   * key, only its bindings and counters. The caller has checked every name and rule.
   */
  restore (state: ScenarioState, key?: string): void {
    if (key === undefined) {
      for (const [name, scenario] of this.scenarios) if (scenario.origin === 'adhoc') this.scenarios.delete(name)
      for (const scenario of state.adhoc) this.scenarios.set(scenario.name, scenario)
      this.global.clear()
      for (const name of state.global) this.global.add(name)
    }
    this.reset(key)
    for (const [owner, names] of Object.entries(state.keys)) this.keyBindings.set(owner, new Set(names))
    for (const counter of state.counters) {
      const owner = counter.key ?? ''
      const byRule = this.states.get(owner) ?? new Map<string, RuleState>()
      byRule.set(counter.rule, ruleState(xoroshiro128plusFromState(counter.random), counter.matched, counter.fired))
      this.states.set(owner, byRule)
    }
  }

  private stateOf (key: string | undefined, ruleId: string): RuleState {
    const owner = key ?? ''
    let byRule = this.states.get(owner)
    if (byRule === undefined) {
      byRule = new Map()
      this.states.set(owner, byRule)
    }
    let state = byRule.get(ruleId)
    if (state === undefined) {
      state = ruleState(xoroshiro128plus(hash(`${this.seed}\u0000${owner}\u0000${ruleId}`)))
      byRule.set(ruleId, state)
    }
    return state
  }

  private forgetRules (scenario: string): void {
    const prefix = `${scenario}/`
    for (const byRule of this.states.values()) for (const id of byRule.keys()) if (id.startsWith(prefix)) byRule.delete(id)
  }

  private known (name: string): Scenario {
    const scenario = this.scenarios.get(name)
    if (scenario === undefined) throw unknownOrTaken(`unknown scenario "${name}"`, 'MOCK_NOT_FOUND')
    return scenario
  }

  private checked (names: readonly string[], where: string): string[] {
    const unknown = names.filter((name) => !this.scenarios.has(name))
    if (unknown.length > 0) {
      throw unknownOrTaken(`unknown scenario ${unknown.map((name) => `"${name}"`).join(', ')} in ${where}; see GET /__mock/scenarios`)
    }
    return [...names]
  }
}

function matches (rule: Rule, request: ScenarioRequest): boolean {
  const { match } = rule
  if (match.operations !== undefined && !match.operations.has(request.operation)) return false
  // A rule that names no operation is about API calls: webhook deliveries need rules of their own.
  if (request.operation === 'deliverWebhook' && match.operations === undefined) return false
  if (match.surfaces !== undefined && (request.surface === undefined || !match.surfaces.has(request.surface))) return false
  // A fate is decided when a task is created: such a rule matches nothing else.
  if (rule.effects.some((effect) => effect.fate !== undefined) && request.operation !== 'createTask') return false
  if (match.taskTypes !== undefined && (request.taskType === undefined || !match.taskTypes.has(request.taskType))) return false
  if (match.prompt !== undefined && (request.prompt === undefined || !match.prompt.test(request.prompt))) return false
  if (match.headers !== undefined) {
    for (const [name, value] of match.headers) {
      const given = request.headers[name]
      const text = Array.isArray(given) ? given.join(', ') : given
      if (text === undefined || !value.test(text)) return false
    }
  }
  return true
}

function ruleState (rng: RandomGenerator, matched = 0, fired = 0): RuleState {
  return { matched, fired, rng, random: () => uniformFloat64(rng) }
}

function unknownOrTaken (detail: string, key: 'MOCK_BAD_REQUEST' | 'MOCK_NOT_FOUND' = 'MOCK_BAD_REQUEST'): ApiError {
  return new ApiError(key, { detail })
}

/** FNV-1a: a stable 32-bit seed from a string. */
function hash (text: string): number {
  let value = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i)
    value = Math.imul(value, 0x01000193)
  }
  return value >>> 0
}

/**
 * Turns a scenario as written (a parsed YAML or JSON object) into the form the engine runs,
 * refusing it with a message that names the rule and the field when anything is wrong.
 */
import type { ErrorObject } from 'ajv'
import { RE2JS } from 're2js'
import { MAX_DURATION_MS, parseDuration } from '../durations.ts'
import { ERROR_CATALOGUE, type ErrorKey, errorKeyOfCode } from '../errors.ts'
import type { Fate, FinalStatus } from '../lifecycle.ts'
import type { ApiSurface, Operation } from '../operations.ts'
import type {
  DeliveryEffect, Effect, EffectFile, Fault, FaultType, Latency, Matcher,
  Rule, Scenario, ScenarioFile, ScenarioOrigin, TextMatcher, WebhookEffect
} from './model.ts'
import { validateScenarioFile } from './file-validator.ts'

/** A scenario refused: every problem found, one line each (`<where>: <field>: <problem>`). */
export class ScenarioError extends Error {
  override name = 'ScenarioError'
  readonly problems: readonly string[]

  constructor (problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems
    // One line: the first problem, and how many more there are.
    super(list.length === 1 ? list[0] : `${list[0] as string} (and ${list.length - 1} more: tripo-mock validate lists them all)`)
    this.problems = list
  }
}

const WATCH_OPERATIONS: ReadonlySet<Operation> = new Set(['watchTask', 'watchAll'])

export interface CompileOptions {
  /** The scenario's name when the file does not give one (the file name). */
  readonly name?: string
  readonly origin: ScenarioOrigin
  /** The file it comes from (kept on the scenario, and named in refusals). */
  readonly file?: string
  /** How refusals name it when it has no file (an ad-hoc scenario). */
  readonly where?: string
}

/**
 * Validates and compiles one scenario. Throws a ScenarioError with every problem found: those of
 * its shape (the schema), and those of each rule whose shape is right, so that one pass over a file
 * shows everything to fix.
 */
export function compileScenario (input: unknown, options: CompileOptions): Scenario {
  const where = options.file ?? options.where ?? 'scenario'
  const errors = validateScenarioFile(input) ? [] : validateScenarioFile.errors as ErrorObject[]
  const problems = errors.map(describe)
  const shapeWrongAt = (path: string) => errors.some((error) => error.instancePath === path || error.instancePath.startsWith(`${path}/`))
  const written = (typeof input === 'object' && input !== null ? input : {}) as Partial<ScenarioFile>
  if (written.name === undefined && options.name === undefined) problems.push('name: is required')
  if (options.name !== undefined && typeof written.name === 'string' && !shapeWrongAt('/name') && written.name !== options.name) {
    problems.push(`name "${written.name}" must match the file name "${options.name}"`)
  }
  const name = options.name ?? (typeof written.name === 'string' ? written.name : 'scenario')
  const seen = new Set<string>()
  const rules: Rule[] = []
  for (const [index, rule] of (Array.isArray(written.rules) ? written.rules : []).entries()) {
    if (shapeWrongAt(`/rules/${index}`)) continue
    const at = (field: string) => `rules[${index}]${field === '' ? '' : '.' + field}`
    const id = rule.id ?? String(index)
    if (seen.has(id)) problems.push(`${at('id')}: "${id}" is used twice`)
    seen.add(id)
    const compiled = collect(problems, () => compileRule(name, id, rule, at))
    if (compiled !== undefined) rules.push(compiled)
  }
  if (problems.length > 0) throw new ScenarioError(problems.map((problem) => `${where}: ${problem}`))
  const file = input as ScenarioFile
  return { name, description: file.description ?? '', origin: options.origin, ...(options.file === undefined ? {} : { file: options.file }), rules, source: file }
}

/** Runs a compilation step; its refusal's problems join the list instead of ending the pass. */
function collect<T> (problems: string[], step: () => T): T | undefined {
  try {
    return step()
  } catch (error) {
    // The steps throw nothing but refusals (anything else would fail here, loudly, as the bug it is).
    problems.push(...(error as ScenarioError).problems)
    return undefined
  }
}

type RuleFile = ScenarioFile['rules'][number]
type At = (field: string) => string

function compileRule (scenario: string, id: string, rule: RuleFile, at: At): Rule {
  const problems: string[] = []
  if ((rule.effect === undefined) === (rule.sequence === undefined)) problems.push(`${at('')}: needs exactly one of effect or sequence`)
  if (rule.times !== undefined && rule.once !== undefined) problems.push(`${at('once')}: give times or once, not both`)
  const match = collect(problems, () => compileMatch(rule.match ?? {}, at))
  const written = rule.sequence ?? (rule.effect === undefined ? [] : [rule.effect])
  const place = (index: number): At => (field) => at(`${rule.sequence === undefined ? 'effect' : `sequence[${index}]`}.${field}`)
  // Effects are checked against the match (a fate needs createTask): not without one.
  const effects = match === undefined ? [] : written.map((effect, index) => collect(problems, () => compileEffect(effect, match, place(index))))
  if (problems.length > 0) throw new ScenarioError(problems)
  const times = rule.once === true ? 1 : rule.times
  return { id: `${scenario}/${id}`, match: match as Matcher, effects: effects as Effect[], sequence: rule.sequence !== undefined, ...(times === undefined ? {} : { times }) }
}

function compileMatch (match: NonNullable<RuleFile['match']>, at: At): Matcher {
  const compiled: { -readonly [K in keyof Matcher]: Matcher[K] } = {}
  if (match.operation !== undefined) compiled.operations = new Set(list(match.operation) as Operation[])
  if (match.surface !== undefined) compiled.surfaces = new Set(list(match.surface) as ApiSurface[])
  if (match.taskType !== undefined) compiled.taskTypes = new Set(list(match.taskType))
  if (match.prompt !== undefined) compiled.prompt = textMatcher(match.prompt, at('match.prompt'))
  if (match.header !== undefined) {
    compiled.headers = Object.entries(match.header).map(([header, value]) => [header.toLowerCase(), textMatcher(value, at(`match.header.${header}`), true)] as const)
  }
  if (match.nth !== undefined) compiled.nth = nthMatcher(match.nth)
  if (match.probability !== undefined) compiled.probability = match.probability
  return compiled
}

function compileEffect (effect: EffectFile, match: Matcher, at: At): Effect {
  const outcomes = (['error', 'fate', 'fault', 'pass'] as const).filter((field) => effect[field] !== undefined)
  if (outcomes.length > 1) throw new ScenarioError(`${at(outcomes[1] as string)}: an effect has one of error, fate, fault or pass (latency may join any)`)
  if (effect.retryAfter !== undefined && effect.error === undefined) throw new ScenarioError(`${at('retryAfter')}: only with an error`)
  const compiled: { -readonly [K in keyof Effect]: Effect[K] } = {}
  if (effect.error !== undefined) compiled.error = errorKey(effect.error, at('error'))
  if (effect.retryAfter !== undefined) compiled.retryAfter = effect.retryAfter
  if (effect.latency !== undefined) compiled.latency = compileLatency(effect.latency, at('latency'))
  if (effect.fault !== undefined) {
    compiled.fault = compileFault(effect.fault, at('fault'))
    const watchOnly = compiled.fault.type === 'drop'
    const operations = match.operations === undefined ? undefined : [...match.operations]
    if (watchOnly && operations?.every((operation) => WATCH_OPERATIONS.has(operation)) !== true) {
      throw new ScenarioError(`${at('fault')}: drop applies to watch operations only (match.operation: watchTask or watchAll)`)
    }
  }
  if (effect.fate !== undefined) {
    if (match.operations !== undefined && !match.operations.has('createTask')) {
      throw new ScenarioError(`${at('fate')}: a fate is decided when a task is created (match.operation must include createTask)`)
    }
    const { fate, delivery } = compileFate(effect.fate, at)
    compiled.fate = fate
    if (delivery !== undefined) compiled.delivery = delivery
  }
  if (effect.pass === true) compiled.pass = true
  if (effect.webhook !== undefined || match.operations?.has('deliverWebhook') === true) {
    const webhook = compileWebhookEffect(effect, match, at)
    if (webhook !== undefined) compiled.webhook = webhook
  }
  return compiled
}

/** Out of order without a limit of its own: held back at most this long. */
const OUT_OF_ORDER_DEFAULT_MS = 60_000

/**
 * A webhook delivery takes latency (it goes that much later), `webhook` or pass; `webhook` is
 * for deliveries only, so its rule names that operation alone.
 */
function compileWebhookEffect (effect: EffectFile, match: Matcher, at: At): WebhookEffect | undefined {
  const other = (['error', 'fate', 'fault'] as const).find((field) => effect[field] !== undefined)
  if (other !== undefined) throw new ScenarioError(`${at(other)}: a webhook delivery (deliverWebhook) takes latency, webhook or pass`)
  const written = effect.webhook
  if (written === undefined) return undefined
  if (match.operations?.size !== 1 || !match.operations.has('deliverWebhook')) throw new ScenarioError(`${at('webhook')}: applies to webhook deliveries only (match.operation: deliverWebhook)`)
  if (effect.pass !== undefined) throw new ScenarioError(`${at('pass')}: an effect has webhook or pass, not both`)
  if (written.drop !== undefined && Object.keys(written).length > 1) throw new ScenarioError(`${at('webhook.drop')}: a dropped delivery is never sent; drop goes alone`)
  if (written.outOfOrder === false) throw new ScenarioError(`${at('webhook.outOfOrder')}: must be true or a duration`)
  const compiled: { -readonly [K in keyof WebhookEffect]: WebhookEffect[K] } = {}
  if (written.duplicate !== undefined) compiled.duplicate = true
  if (written.outOfOrder !== undefined) compiled.outOfOrderMs = written.outOfOrder === true ? OUT_OF_ORDER_DEFAULT_MS : duration(written.outOfOrder, at('webhook.outOfOrder'))
  if (written.signature !== undefined) compiled.signature = written.signature
  if (written.drop !== undefined) compiled.drop = true
  return compiled
}

function compileFate (fate: NonNullable<EffectFile['fate']>, at: At): Pick<Effect, 'fate' | 'delivery'> & { fate: Fate } {
  const when = (['atProgress', 'after', 'stall'] as const).filter((field) => fate[field] !== undefined)
  if (when.length > 1) throw new ScenarioError(`${at(`fate.${when[1] as string}`)}: give one of atProgress, after or stall`)
  const compiled: { -readonly [K in keyof Fate]: Fate[K] } = { status: fate.status as FinalStatus }
  if (fate.errorCode !== undefined) compiled.errorCode = fate.errorCode
  if (fate.atProgress !== undefined) compiled.atProgress = fate.atProgress
  if (fate.after !== undefined) compiled.afterMs = duration(fate.after, at('fate.after'))
  if (fate.stall !== undefined) compiled.stall = fate.stall as 'queued' | 'running'
  if (fate.queueFor !== undefined) compiled.queuedMs = duration(fate.queueFor, at('fate.queueFor'))
  if (fate.runFor !== undefined) compiled.runningMs = duration(fate.runFor, at('fate.runFor'))
  const delivery: { urlExpiresIn?: number, downloads?: DeliveryEffect } = {}
  if (fate.urlExpiresIn !== undefined) delivery.urlExpiresIn = Math.floor(duration(fate.urlExpiresIn, at('fate.urlExpiresIn')) / 1000)
  if (fate.downloads !== undefined) {
    const downloads: { -readonly [K in keyof DeliveryEffect]: DeliveryEffect[K] } = {}
    if (fate.downloads.error !== undefined) downloads.error = errorKey(fate.downloads.error, at('fate.downloads.error'))
    if (fate.downloads.latency !== undefined) downloads.latency = compileLatency(fate.downloads.latency, at('fate.downloads.latency'))
    if (fate.downloads.fault !== undefined) downloads.fault = compileFault(fate.downloads.fault, at('fate.downloads.fault'))
    delivery.downloads = downloads
  }
  return { fate: compiled, ...(Object.keys(delivery).length === 0 ? {} : { delivery }) }
}

function compileLatency (latency: NonNullable<EffectFile['latency']>, where: string): Latency {
  if (latency.fixed !== undefined) return { kind: 'fixed', ms: duration(latency.fixed, `${where}.fixed`) }
  if (latency.uniform !== undefined) {
    const [low, high] = latency.uniform.map((value, index) => duration(value, `${where}.uniform[${index}]`)) as [number, number]
    if (high < low) throw new ScenarioError(`${where}.uniform: [low, high] with low <= high`)
    return { kind: 'uniform', low, high }
  }
  const lognormal = latency.lognormal as { median: number | string, sigma: number, max?: number | string }
  const median = duration(lognormal.median, `${where}.lognormal.median`)
  return { kind: 'lognormal', median, sigma: lognormal.sigma, max: lognormal.max === undefined ? Infinity : duration(lognormal.max, `${where}.lognormal.max`) }
}

function compileFault (fault: NonNullable<EffectFile['fault']>, where: string): Fault {
  const written = typeof fault === 'string' ? { type: fault } : fault
  return {
    type: written.type as FaultType,
    ...(written.bytes === undefined ? {} : { bytes: written.bytes }),
    chunks: written.chunks ?? 10,
    durationMs: written.duration === undefined ? 5000 : duration(written.duration, `${where}.duration`),
    afterMs: written.after === undefined ? 0 : duration(written.after, `${where}.after`)
  }
}

function errorKey (value: string | number, where: string): ErrorKey {
  const key = typeof value === 'number' ? errorKeyOfCode(value) : (Object.hasOwn(ERROR_CATALOGUE, value) ? value as ErrorKey : undefined)
  if (key === undefined) throw new ScenarioError(`${where}: unknown error ${JSON.stringify(value)} (a catalogue key such as RATE_LIMITED, or a code such as 1007)`)
  return key
}

/** RE2's flags for the JavaScript ones a pattern may carry (`u` changes nothing: RE2 matches code points). */
const REGEX_FLAGS: Readonly<Record<string, number>> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 }

/**
 * Text to find (case-insensitive), or a regular expression written /like this/flags. Expressions
 * run on RE2 (re2js, in plain JavaScript), whose time is linear in the text whatever the pattern:
 * a scenario can never freeze the server with a pattern that backtracks. RE2 refuses what would
 * need backtracking (lookaround, backreferences): the refusal names the rule and field.
 */
function textMatcher (text: string, where: string, exact = false): TextMatcher {
  const literal = regexLiteral(text)
  if (literal === undefined) {
    // Escaped text: a search with no backtracking at all.
    const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    return new RegExp(exact ? `^${escaped}$` : escaped, 'i')
  }
  let flags = 0
  for (const flag of literal.flags) {
    const value = REGEX_FLAGS[flag]
    if (value === undefined) throw new ScenarioError(`${where}: flag "${flag}" is not supported (i, m, s, u)`)
    flags |= value
  }
  try {
    return RE2JS.compile(literal.source, flags)
  } catch (error) {
    throw new ScenarioError(`${where}: ${(error as Error).message} (patterns use RE2's syntax: no lookaround, no backreferences)`)
  }
}

/** `/source/flags`, read without a regular expression of its own. */
function regexLiteral (text: string): { source: string, flags: string } | undefined {
  const close = text.lastIndexOf('/')
  if (!text.startsWith('/') || close < 2) return undefined
  const flags = text.slice(close + 1)
  return /^[a-z]*$/.test(flags) ? { source: text.slice(1, close), flags } : undefined
}

function nthMatcher (nth: number | number[] | { from?: number, every?: number }): (n: number) => boolean {
  if (typeof nth === 'number') return (n) => n === nth
  if (Array.isArray(nth)) {
    const wanted = new Set(nth)
    return (n) => wanted.has(n)
  }
  // {every: 2} is the 2nd, 4th, 6th... call: counting starts at `every` unless `from` says otherwise.
  const every = nth.every ?? 1
  const from = nth.from ?? every
  return (n) => n >= from && (n - from) % every === 0
}

function list (value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value]
}

/** Milliseconds of a duration the schema let through (its pattern), at most MAX_DURATION_MS. */
function duration (value: number | string, where: string): number {
  const ms = parseDuration(value) as number
  if (ms > MAX_DURATION_MS) throw new ScenarioError(`${where}: at most 8760h (a year); a task that never ends stalls instead`)
  return ms
}

/** Ajv's first error as `rules[2].effect.error: must be ...` (the state snapshot's refusals say it the same way). */
export function describe (error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((part) => /^\d+$/.test(part) ? `[${part}]` : `.${part}`).join('').replace(/^\./, '')
  const params = error.params as { additionalProperty: string, missingProperty: string, allowedValues: unknown[] }
  const field = path === '' ? '' : `${path}: `
  switch (error.keyword) {
    case 'additionalProperties': return `${field}unknown field "${params.additionalProperty}"`
    case 'required': return `${path === '' ? '' : path + '.'}${params.missingProperty}: is required`
    case 'enum': return `${field}must be one of ${params.allowedValues.join(', ')}`
    case 'pattern':
    case 'type': {
      // Schemas that take several forms describe them; a plain one has Ajv's words ("must be string").
      const description = (error.parentSchema as { description?: string }).description
      return description === undefined ? `${field}${error.message as string}` : `${field}must be ${description}`
    }
    default: return `${field}${error.message as string}`
  }
}

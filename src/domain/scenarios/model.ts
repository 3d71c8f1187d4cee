/**
 * Scenarios: named lists of rules that make the emulator fail on purpose. This file holds the
 * file format (a JSON Schema, for validation and documentation) and the compiled form the engine
 * runs.
 */
import { Type, type Static } from 'typebox'
import { DURATION_PATTERN } from '../durations.ts'
import type { ErrorKey } from '../errors.ts'
import { type Fate, FINAL_STATUSES } from '../lifecycle.ts'
import { API_SURFACES, type ApiSurface, OPERATION_NAMES, type Operation } from '../operations.ts'

export const SCENARIO_NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$'

export const FAULT_TYPES = ['reset', 'hang', 'malformed-json', 'truncate', 'dribble', 'drop'] as const
export type FaultType = typeof FAULT_TYPES[number]

/** A duration: milliseconds, or a string like 500ms, 2s, 1m, 1h30m. */
const Duration = Type.Unsafe<number | string>({
  type: ['integer', 'string'],
  minimum: 0,
  pattern: DURATION_PATTERN,
  description: 'a duration (ms, or a string like 500ms, 2s, 1m)'
})

const oneOrMany = (pattern: string, description: string) => Type.Unsafe<string | string[]>({
  type: ['string', 'array'],
  pattern,
  items: { type: 'string', pattern },
  minItems: 1,
  description
})

const MatchSchema = Type.Object({
  operation: Type.Optional(oneOrMany(`^(?:${OPERATION_NAMES.join('|')})$`, `an operation (${OPERATION_NAMES.join(', ')}) or a list of them`)),
  surface: Type.Optional(oneOrMany(`^(?:${API_SURFACES.join('|')})$`, `the API surface the request came through (${API_SURFACES.join(', ')}), or a list; downloads and S3 puts have none`)),
  taskType: Type.Optional(oneOrMany('^[a-z0-9_]+$', 'a task type or a list of them')),
  prompt: Type.Optional(Type.String({ minLength: 1, description: 'text the prompt contains (case-insensitive), or /regex/flags' })),
  header: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'request headers and the values they must have (exact, or /regex/flags)' })),
  nth: Type.Optional(Type.Unsafe<number | number[] | { from?: number, every?: number }>({
    type: ['integer', 'array', 'object'],
    minimum: 1,
    items: { type: 'integer', minimum: 1 },
    minItems: 1,
    properties: { from: { type: 'integer', minimum: 1 }, every: { type: 'integer', minimum: 1 } },
    additionalProperties: false,
    minProperties: 1,
    description: 'which matching calls: a number (3), a list ([2, 4]) or {from, every} ({from: 3}, {every: 2})'
  })),
  probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'chance of firing, from the seeded random source' }))
}, { additionalProperties: false })

const LatencySchema = Type.Object({
  fixed: Type.Optional(Duration),
  uniform: Type.Optional(Type.Array(Duration, { minItems: 2, maxItems: 2, description: '[low, high]' })),
  lognormal: Type.Optional(Type.Object({
    median: Duration,
    sigma: Type.Number({ exclusiveMinimum: 0 }),
    max: Type.Optional(Duration)
  }, { additionalProperties: false }))
}, { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'one of fixed, uniform, lognormal' })

const FaultSchema = Type.Unsafe<string | { type: string, bytes?: number, chunks?: number, duration?: number | string, after?: number | string }>({
  type: ['string', 'object'],
  pattern: `^(?:${FAULT_TYPES.join('|')})$`,
  required: ['type'],
  properties: {
    type: { type: 'string', enum: [...FAULT_TYPES] },
    bytes: { type: 'integer', minimum: 0, description: 'truncate: how many body bytes are sent (default: half)' },
    chunks: { type: 'integer', minimum: 1, description: 'dribble: how many pieces (default 10)' },
    duration: { ...Duration, description: 'dribble: over how long (default 5s)' },
    after: { ...Duration, description: 'drop: how long into the watch (default 0)' }
  },
  additionalProperties: false,
  description: `a connection fault: ${FAULT_TYPES.join(', ')}, or {type, ...options}`
})

const DeliverySchema = Type.Object({
  error: Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'integer'], description: 'a catalogue key or code' })),
  latency: Type.Optional(LatencySchema),
  fault: Type.Optional(FaultSchema)
}, { additionalProperties: false, minProperties: 1 })

const FateSchema = Type.Object({
  status: Type.Unsafe<string>({ type: 'string', enum: [...FINAL_STATUSES] }),
  errorCode: Type.Optional(Type.Integer({ description: 'error_code of the final task (failed: 1001 by default)' })),
  atProgress: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'the progress at which it stops' })),
  after: Type.Optional({ ...Duration, description: 'or: how long after creation it reaches its final status' }),
  stall: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['queued', 'running'], description: 'or: it never finishes' })),
  queueFor: Type.Optional({ ...Duration, description: 'how long it waits in the queue' }),
  runFor: Type.Optional({ ...Duration, description: 'how long a full run takes' }),
  urlExpiresIn: Type.Optional({ ...Duration, description: 'lifetime of its output URLs (0: already expired)' }),
  downloads: Type.Optional(DeliverySchema)
}, { additionalProperties: false })

export const WEBHOOK_SIGNATURE_FAULTS = ['bad', 'stale', 'rotated'] as const
export type WebhookSignatureFault = typeof WEBHOOK_SIGNATURE_FAULTS[number]

/** What a scenario does to a webhook delivery (rules matching operation deliverWebhook). */
const WebhookEffectSchema = Type.Object({
  duplicate: Type.Optional(Type.Literal(true, { description: 'once delivered, sent once more (the same Tripo-Webhook-Delivery)' })),
  outOfOrder: Type.Optional(Type.Unsafe<boolean | number | string>({
    type: ['boolean', 'integer', 'string'],
    minimum: 0,
    pattern: DURATION_PATTERN,
    description: 'held back until the next delivery to its endpoint has been sent: true (at most 1m) or at most this long'
  })),
  signature: Type.Optional(Type.Unsafe<WebhookSignatureFault>({ type: 'string', enum: [...WEBHOOK_SIGNATURE_FAULTS], description: 'bad (a wrong secret), stale (t ten minutes old), rotated (two v1: an unknown secret\'s, then the endpoint\'s)' })),
  drop: Type.Optional(Type.Literal(true, { description: 'never sent' }))
}, { additionalProperties: false, minProperties: 1 })

const EffectSchema = Type.Object({
  error: Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'integer'], description: 'a catalogue key (RATE_LIMITED) or code (1007)' })),
  retryAfter: Type.Optional(Type.Integer({ minimum: 0, description: 'Retry-After seconds (429 errors; default from the configuration)' })),
  fate: Type.Optional(FateSchema),
  latency: Type.Optional(LatencySchema),
  fault: Type.Optional(FaultSchema),
  pass: Type.Optional(Type.Literal(true)),
  webhook: Type.Optional(WebhookEffectSchema)
}, { additionalProperties: false, minProperties: 1 })

const RuleSchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: SCENARIO_NAME_PATTERN, description: 'an id of lowercase letters, digits and dashes' })),
  match: Type.Optional(MatchSchema),
  effect: Type.Optional(EffectSchema),
  sequence: Type.Optional(Type.Array(EffectSchema, { minItems: 1, description: 'effects for consecutive matching calls' })),
  times: Type.Optional(Type.Integer({ minimum: 1, description: 'fire at most this many times, then pass' })),
  once: Type.Optional(Type.Boolean({ description: 'times: 1' }))
}, { additionalProperties: false })

/** A scenario file (YAML or JSON). */
export const ScenarioFileSchema = Type.Object({
  name: Type.Optional(Type.String({ pattern: SCENARIO_NAME_PATTERN, description: 'a name of lowercase letters, digits and dashes (by default, and necessarily, the file name)' })),
  description: Type.Optional(Type.String({ minLength: 1, description: 'a sentence saying what the scenario does (the control plane and the dashboard show it)' })),
  rules: Type.Array(RuleSchema, { minItems: 1 })
}, { additionalProperties: false })

export type ScenarioFile = Static<typeof ScenarioFileSchema>
export type EffectFile = Static<typeof EffectSchema>

// ---- compiled form ----

export type Latency =
  | { readonly kind: 'fixed', readonly ms: number }
  | { readonly kind: 'uniform', readonly low: number, readonly high: number }
  | { readonly kind: 'lognormal', readonly median: number, readonly sigma: number, readonly max: number }

export interface Fault {
  readonly type: FaultType
  readonly bytes?: number
  readonly chunks: number
  readonly durationMs: number
  readonly afterMs: number
}

/** What a task's downloads do, decided with its fate. */
export interface DeliveryEffect {
  readonly error?: ErrorKey
  readonly latency?: Latency
  readonly fault?: Fault
}

/** How a task's outputs are delivered: decided at creation, kept on every later download. */
export interface Delivery {
  /** Output URL lifetime in seconds (0: already expired when handed out). */
  readonly urlExpiresIn?: number
  readonly downloads?: DeliveryEffect
}

/** What happens to a webhook delivery (with `Effect.latency`: it goes that much later). */
export interface WebhookEffect {
  readonly duplicate?: true
  /** Held back until the next delivery to its endpoint has been sent, at most this long (ms). */
  readonly outOfOrderMs?: number
  readonly signature?: WebhookSignatureFault
  readonly drop?: true
}

export interface Effect {
  readonly error?: ErrorKey
  readonly retryAfter?: number
  readonly fate?: Fate
  readonly delivery?: Delivery
  readonly latency?: Latency
  readonly fault?: Fault
  readonly pass?: true
  readonly webhook?: WebhookEffect
}

/** Whether a text matches: escaped text (a RegExp) or an RE2 expression, compiled once at load. */
export interface TextMatcher {
  test (text: string): boolean
}

export interface Matcher {
  readonly operations?: ReadonlySet<Operation>
  readonly surfaces?: ReadonlySet<ApiSurface>
  readonly taskTypes?: ReadonlySet<string>
  readonly prompt?: TextMatcher
  readonly headers?: ReadonlyArray<readonly [string, TextMatcher]>
  /** Which matching calls (1-based) fire. */
  readonly nth?: (n: number) => boolean
  readonly probability?: number
}

export interface Rule {
  /** `<scenario>/<rule id>`: what logs, the journal and metrics show. */
  readonly id: string
  readonly match: Matcher
  /** One effect, or a sequence for consecutive matching calls. */
  readonly effects: readonly Effect[]
  readonly sequence: boolean
  readonly times?: number
}

export type ScenarioOrigin = 'builtin' | 'file' | 'adhoc'

export interface Scenario {
  readonly name: string
  readonly description: string
  readonly origin: ScenarioOrigin
  /** The file it was loaded from, by its name in its folder (the built-in one, or scenariosDir). */
  readonly file?: string
  readonly rules: readonly Rule[]
  /** The file form, as loaded (the control plane shows it). */
  readonly source: ScenarioFile
}

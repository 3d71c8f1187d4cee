/**
 * Configuration, once: one schema for every setting, read from (highest first) CLI flags, the
 * environment (`TRIPO_MOCK_*`), a config file (YAML or JSON), then the defaults. Parsed and
 * validated once at start; a bad value stops the start with one line naming the setting.
 */
import { readFileSync, statSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'
import { Type, type Static, type TSchema } from 'typebox'
import { load as parseYaml } from 'js-yaml'
import { DEFAULT_BANNED_WORDS } from '../domain/content-policy.ts'
import { didYouMean } from '../domain/did-you-mean.ts'
import { DURATION_PATTERN, MAX_DURATION_MS } from '../domain/durations.ts'
import { CONCURRENCY_GROUPS, TASK_TYPE_NAMES } from '../domain/task-types/index.ts'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import { maskKey, MAX_KEY_LENGTH } from '../domain/tenants.ts'
import { WEBHOOK_EVENTS } from '../domain/webhooks/model.ts'

const DurationsSchema = Type.Object({
  queuedMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DURATION_MS })),
  runningMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DURATION_MS }))
}, { additionalProperties: false })

const WebhookEndpointSchema = Type.Object({
  url: Type.String({ pattern: '^https?://' }),
  secret: Type.Optional(Type.String({ pattern: '^whsec_[\\x21-\\x7e]+$' })),
  events: Type.Optional(Type.Array(StringEnum(WEBHOOK_EVENTS), { minItems: 1 }))
}, { additionalProperties: false })

/** Every setting, its type, default and meaning. The README's table is checked against it. */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Port to listen on (0: any free port)' }),
  host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address to listen on' }),
  logLevel: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { default: 'info', description: 'Log level (pino)' }),
  logFormat: StringEnum(['auto', 'json', 'pretty'] as const, { default: 'auto', description: 'auto: readable lines on a terminal, JSON lines otherwise; json; pretty' }),
  publicUrl: Type.String({ default: '', description: 'Base URL put in output and upload URLs (http or https, e.g. http://localhost:8080); empty: taken from each request (Host, or the proxy\'s headers with trustProxy)' }),
  trustProxy: Type.Boolean({ default: false, description: 'true: behind a reverse proxy, output and upload URLs take the scheme and host of X-Forwarded-Proto and X-Forwarded-Host' }),
  clockMode: StringEnum(['real', 'manual'] as const, { default: 'real', description: 'real: time flows (times the speed); manual: time moves only through the control plane' }),
  clockSpeed: Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Speed factor of the real clock' }),
  durations: Type.Object(
    Object.fromEntries(TASK_TYPE_NAMES.map((type) => [type, Type.Optional(DurationsSchema)])),
    { additionalProperties: false, default: {}, description: 'Per task type, nominal queue and run times in ms, e.g. {"text_to_model":{"queuedMs":0,"runningMs":3000}}' }
  ),
  startingCredits: Type.Integer({ minimum: 0, default: 10000, description: 'Credits each API key starts with' }),
  apiKeys: Type.Array(Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH }), { default: [], description: 'Accepted API keys (comma-separated); empty: any key starting with tsk_' }),
  maxPriority: Type.Integer({ minimum: 1, maximum: 3, default: 1, description: 'Highest task priority a key is entitled to (above: 2013)' }),
  retiredVersions: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Documented model versions to refuse as deprecated (2015)' }),
  contentPolicyWords: Type.Array(Type.String(), { default: [...DEFAULT_BANNED_WORDS], description: 'Words that make a prompt violate the content policy (2008)' }),
  concurrencyLimits: Type.Object(
    Object.fromEntries(Object.keys(CONCURRENCY_GROUPS).map((group) => [group, Type.Optional(Type.Integer({ minimum: 0 }))])),
    { additionalProperties: false, default: {}, description: 'Per concurrency group, max queued + running tasks per key, e.g. {"model_generation":3} (V2) or {"h_series":3} (V3)' }
  ),
  requestsPerSecond: Type.Integer({ minimum: 0, default: 0, description: 'Per key, API requests per second before 429/1007, V2 and V3 together (0: no limit; V3\'s X-RateLimit-* then report 1000000)' }),
  uploadsPerSecond: Type.Integer({ minimum: 0, default: 10, description: 'Per key, uploads per second before 429/1007 (0: no limit)' }),
  stalledRetryAfter: Type.Integer({ minimum: 1, default: 60, description: 'Retry-After seconds for 2000 when only stalled tasks hold the slots' }),
  scenariosDir: Type.String({ default: '', description: 'A folder of your own scenario files, loaded after the built-in ones; empty: none' }),
  scenarios: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Scenarios active for every request (comma-separated names)' }),
  scenarioKeys: Type.Record(Type.String(), Type.Array(Type.String({ minLength: 1 })), { default: {}, description: 'Scenarios bound to API keys, e.g. {"tsk_qa":["flaky-network"]}' }),
  scenarioRetryAfter: Type.Integer({ minimum: 0, default: 1, description: 'Retry-After seconds of injected 429s when the rule gives none' }),
  seed: Type.Integer({ minimum: 0, default: 1, description: 'Seed of the random source of scenario probabilities and latencies' }),
  taskTtlSeconds: Type.Integer({ minimum: 1, default: 86400, description: 'How long a task stays readable after its final status' }),
  maxTasks: Type.Integer({ minimum: 1, default: 100000, description: 'Tasks kept in memory; beyond it the longest-final go first (never a queued or running one, nor one final for less than urlExpirySeconds)' }),
  tenantTtlSeconds: Type.Integer({ minimum: 1, default: 86400, description: 'How long an API key\'s tenant (credits, limits) is kept after its last request, when it has no task kept and no watch open' }),
  maxTenants: Type.Integer({ minimum: 1, default: 10000, description: 'API keys\' tenants kept; beyond it the least recently used go first (never one with a task kept or a watch open)' }),
  maxUploads: Type.Integer({ minimum: 1, default: 10000, description: 'Upload tokens, and STS credentials, kept (each); beyond it the oldest go first (they also expire: uploadTokenTtlSeconds, stsCredentialTtlSeconds)' }),
  maxObjectBytes: Type.Integer({ minimum: 1, default: 1024 * 1024 * 1024, description: 'Bytes of STS-uploaded objects kept; beyond it the oldest go first (they also expire with uploadTokenTtlSeconds)' }),
  urlExpirySeconds: Type.Integer({ minimum: 1, default: 300, description: 'Lifetime of signed output URLs (the docs: five minutes)' }),
  uploadTokenTtlSeconds: Type.Integer({ minimum: 1, default: 86400, description: 'Lifetime of an image_token from /upload (about 24 hours on V2)' }),
  stsCredentialTtlSeconds: Type.Integer({ minimum: 1, default: 1800, description: 'Lifetime of the credentials from /upload/sts/token' }),
  imageMaxBytes: Type.Integer({ minimum: 1, default: 20 * 1024 * 1024, description: 'Largest image upload in bytes (the docs: 20 MB; above: 2022)' }),
  modelMaxBytes: Type.Integer({ minimum: 1, default: 150 * 1024 * 1024, description: 'Largest model put through STS in bytes (the docs: 150 MB; above: EntityTooLarge)' }),
  bodyLimit: Type.Integer({ minimum: 1024, default: 20 * 1024 * 1024, description: 'Largest JSON request body in bytes (the real API: 20 MB)' }),
  journalSize: Type.Integer({ minimum: 0, default: 1000, description: 'Requests kept in the journal (/__mock/journal), oldest evicted first; 0 keeps none' }),
  journalBodyLimit: Type.Integer({ minimum: 0, default: 16384, description: 'Characters kept of each request and response body in the journal (longer ones are truncated); 0 keeps no body' }),
  webhooks: Type.Array(WebhookEndpointSchema, { default: [], description: 'Webhook endpoints for every key, a JSON list of {url, secret?, events?}: secret the whole whsec_... string (generated when left out), events among task.completed, task.failed, balance.low (all when left out)' }),
  webhookRetrySchedule: Type.Array(Type.String({ pattern: DURATION_PATTERN }), { minItems: 1, default: ['0s', '5s', '5m', '30m', '2h', '5h', '10h', '10h'], description: 'Emulator time before each delivery attempt (at most 8760h each): the first after the event, each next after a failure (the emulator\'s choice: the real schedule is not documented)' }),
  webhookTimeoutMs: Type.Integer({ minimum: 1, default: 5000, description: 'Wall milliseconds a receiver has to answer an attempt with a 2xx' }),
  webhookDisableAfterFailures: Type.Integer({ minimum: 0, default: 5, description: 'Failed deliveries in a row (every attempt used) after which an endpoint is disabled, until enabled again; 0: never' }),
  webhookBalanceThreshold: Type.Integer({ minimum: 0, default: 100, description: 'balance.low goes out when a key\'s balance falls below this (again once it was back at or above it)' }),
  webhookConcurrency: Type.Integer({ minimum: 1, default: 10, description: 'Delivery attempts in flight at most; the others wait their turn' }),
  webhookMaxPending: Type.Integer({ minimum: 1, default: 10000, description: 'Deliveries waiting to be sent or retried at most; beyond it a new one fails at once' }),
  webhookHistorySize: Type.Integer({ minimum: 0, default: 1000, description: 'Finished deliveries kept (/__mock/webhooks/deliveries), oldest forgotten first' }),
  import: Type.String({ default: '', description: 'A state snapshot to start from: a file, or the name of a prepared state (demo); empty: start empty' }),
  exportOnExit: Type.String({ default: '', description: 'A file the state is written to when the emulator stops (SIGTERM, SIGINT; in process: close()); empty: none' }),
  exportIntervalSeconds: Type.Integer({ minimum: 0, default: 0, description: 'Also write the exportOnExit file every this many seconds, from a timer (each write pauses the emulator for the export\'s time); 0: only on exit' }),
  controlToken: Type.String({ default: '', description: 'When set, the control plane (/__mock, but health, ready and docs) wants Authorization: Bearer <token>' }),
  controlPlane: Type.Boolean({ default: true, description: 'false: no /__mock routes but health and ready (the rest answer as unknown routes)' }),
  retireV2: Type.Boolean({ default: false, description: 'true: every /v2/openapi route answers 410/9200, as the V2 API Tripo switched off; the V3 API is untouched' })
}, { additionalProperties: false })

export type Config = Static<typeof ConfigSchema>
export type ConfigKey = keyof Config

export const CONFIG_KEYS = Object.keys(ConfigSchema.properties) as ConfigKey[]

export const ENV_PREFIX = 'TRIPO_MOCK_'

/** `startingCredits` → `TRIPO_MOCK_STARTING_CREDITS` */
export function envName (key: ConfigKey): string {
  return ENV_PREFIX + key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()
}

/** `startingCredits` → `--starting-credits` */
export function flagName (key: ConfigKey): string {
  return '--' + key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
}

/** Anything that stops the start with one line (a bad setting, a missing sample file). */
export class StartupError extends Error {
  override name = 'StartupError'
}

export class ConfigError extends StartupError {
  override name = 'ConfigError'
}

export interface ConfigSources {
  /** Values from CLI flags (already split into key → raw string or value). */
  readonly flags?: Readonly<Partial<Record<ConfigKey, unknown>>>
  /** How each flag was spelled (`--scenario` for scenarios), for refusals; `--kebab-case` otherwise. */
  readonly flagNames?: Readonly<Partial<Record<ConfigKey, string>>>
  readonly env?: NodeJS.ProcessEnv
  /** Path of a YAML or JSON config file. */
  readonly file?: string
  /** Values given in code (startTripoMock): same rank as flags. */
  readonly overrides?: Readonly<Partial<Config>>
}

// Run once per start: optimising the generated code would cost more start time than it saves.
// verbose: a refusal of an unknown key lists the known ones (from the schema it was checked against).
const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false, validateSchema: false, verbose: true, code: { optimize: false } })
const validateConfig = ajv.compile<Config>(ConfigSchema)

/** Where each loaded configuration's values came from, for refusals made after loading. */
const sourcesOf = new WeakMap<Readonly<Config>, Readonly<Record<string, string>>>()

/**
 * Where a setting's value came from, as refusals name it: its flag (`--port`), its environment
 * variable (`TRIPO_MOCK_PORT`), `in <config file>`, `option` (startTripoMock), or `default`.
 */
export function settingSource (config: Readonly<Config>, key: ConfigKey): string {
  return sourcesOf.get(config)?.[key] ?? 'default'
}

/** Reads, merges and validates the configuration. Throws ConfigError naming the bad setting. */
export function loadConfig (sources: ConfigSources = {}): Readonly<Config> {
  const merged: Record<string, unknown> = {}
  const origin: Record<string, string> = {}
  const take = (values: Readonly<Record<string, unknown>>, from: (key: ConfigKey) => string): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue
      if (!CONFIG_KEYS.includes(key as ConfigKey)) {
        const shown = shownName(key)
        const guess = shown === undefined ? '' : didYouMean(key, CONFIG_KEYS)
        throw new ConfigError(`unknown setting ${shown ?? ''}(${from(key as ConfigKey)})${guess === '' ? '' : `: ${guess}`}`)
      }
      merged[key] = parseValue(key as ConfigKey, value, from(key as ConfigKey))
      origin[key] = from(key as ConfigKey)
    }
  }
  if (sources.file !== undefined) take(readConfigFile(sources.file), () => `in ${sources.file}`)
  if (sources.env !== undefined) take(fromEnv(sources.env), (key) => envName(key))
  if (sources.flags !== undefined) take(sources.flags, (key) => sources.flagNames?.[key] ?? flagName(key))
  if (sources.overrides !== undefined) take(sources.overrides, () => 'option')

  if (!validateConfig(merged)) {
    const error = validateConfig.errors?.[0] as ErrorObject
    // Defaults are valid: a refused value always came from somewhere.
    const key = error.instancePath.split('/')[1] as string
    throw new ConfigError(`invalid setting ${settingPath(error)} (${origin[key] as string}): ${describeProblem(error)}`)
  }
  const config = Object.freeze(merged as Config)
  const refuse = (key: ConfigKey, problem: string) => new ConfigError(`invalid setting ${key} (${origin[key] as string}): ${problem}`)
  const publicUrlProblem = checkPublicUrl(config.publicUrl)
  if (publicUrlProblem !== undefined) throw refuse('publicUrl', publicUrlProblem)
  const folderProblem = checkFolder(config.scenariosDir)
  if (folderProblem !== undefined) throw refuse('scenariosDir', folderProblem)
  sourcesOf.set(config, origin)
  return config
}

/** Why a publicUrl cannot start every URL the emulator hands out, if it cannot. */
function checkPublicUrl (value: string): string | undefined {
  if (value === '') return undefined
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    // "localhost:8080" parses, as the scheme "localhost:": the usual slip is a missing scheme.
    const hint = value.includes('://') ? 'e.g. http://localhost:8080' : `with its scheme, e.g. http://${value}`
    return `${JSON.stringify(value)} is not an http or https URL (${hint})`
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return `${JSON.stringify(value)} must be a base URL: no user, query or fragment`
  }
  return undefined
}

/** Why a scenario folder cannot be read, if it cannot (empty: none configured). */
function checkFolder (dir: string): string | undefined {
  if (dir === '') return undefined
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is a file, not a folder`
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? `no folder ${dir}` : `cannot read ${dir} (${code as string})`
  }
  return undefined
}

function fromEnv (env: NodeJS.ProcessEnv): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const key of CONFIG_KEYS) {
    const value = env[envName(key)]
    if (value !== undefined && value !== '') values[key] = value
  }
  return values
}

function readConfigFile (path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    // Where, never what: the parsers quote the offending text, and the file may be anything.
    const mark = (error as { mark?: { line: number, column: number } }).mark
    const where = mark === undefined ? '' : ` (line ${mark.line + 1}, column ${mark.column + 1})`
    throw new ConfigError(`config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}${where}`)
  }
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold an object of settings`)
  return parsed as Record<string, unknown>
}

/** Strings from env and flags become the setting's type: lists split on commas, maps and lists of objects are JSON. */
function parseValue (key: ConfigKey, value: unknown, from: string): unknown {
  if (typeof value !== 'string') return value
  const schema = ConfigSchema.properties[key] as TSchema & { type?: string, items?: { type?: string } }
  const json = schema.type === 'object' || schema.items?.type === 'object'
  if (schema.type === 'array' && !json) return value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)
  if (json) {
    try {
      return JSON.parse(value)
    } catch (error) {
      // Where, never what: the parser's message may quote the value.
      const at = /at position (\d+)/.exec((error as Error).message)?.[1]
      throw new ConfigError(`invalid setting ${key} (${from}): not JSON${at === undefined ? '' : ` (at position ${at})`}`)
    }
  }
  return value
}

/**
 * The refused value's place: the setting, then its JSON path (`durations.text_to_model.queuedMs`,
 * `apiKeys[2]`). A key of scenarioKeys is an API key, and is masked like any key the emulator shows;
 * an unknown key is named only when it is shaped like a name (see `shownName`).
 */
function settingPath (error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(1).map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
  const additional = (error.params as { additionalProperty?: string }).additionalProperty
  if (additional !== undefined && shownName(additional) !== undefined) segments.push(additional)
  return segments.map((segment, index) => {
    if (index === 0) return segment
    if (/^\d+$/.test(segment)) return `[${segment}]`
    return `.${segments[0] === 'scenarioKeys' && index === 1 ? maskKey(segment) : segment}`
  }).join('')
}

function describeProblem (error: ErrorObject): string {
  const params = error.params as { allowedValues?: unknown[], additionalProperty?: string }
  if (params.allowedValues !== undefined) {
    const allowed = params.allowedValues.map(String)
    // The enumerations are of strings, and a value that is none fails on its type first. The
    // value itself is never repeated (it may come from any file): only a known one close to it.
    const guess = didYouMean(error.data as string, allowed)
    return `must be one of ${allowed.join(', ')}${guess === '' ? '' : `; ${guess}`}`
  }
  if (params.additionalProperty !== undefined) {
    const known = Object.keys((error.parentSchema as { properties: object }).properties)
    const guess = shownName(params.additionalProperty) === undefined ? '' : didYouMean(params.additionalProperty, known)
    return `unknown key; ${guess === '' ? `known: ${known.join(', ')}` : guess}`
  }
  return error.message as string
}

/**
 * `"name" `: a name the configuration does not know, shown when it is shaped like a setting's (a
 * typo is worth showing). Anything else is likely a line of some other file (`--config
 * /etc/shadow`), whose content an error message must not repeat.
 */
function shownName (name: string): string | undefined {
  return /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name) ? `"${name}" ` : undefined
}

/**
 * What the control plane can do, as plain functions over the services. The routes under `/__mock`
 * and the in-process handle (`src/index.ts`) both call them and hand back what they return, so
 * both answer with the same shapes (each function returns its route's answer body) and refuse the
 * same things the same way (ApiError 9400 or 9410 with a detail).
 */
import { type Clock, ClockError, type ClockMode } from '../domain/clock.ts'
import { isoOrNull, parseDuration, parseInstant } from '../domain/durations.ts'
import { ApiError } from '../domain/errors.ts'
import {
  type JournalEntry, type JournalFilter, type JournalOperation, type JournalSurface, type KeptText, shownHeaders, textOf
} from '../domain/journal.ts'
import { type Fate, FINAL_STATUSES, type FinalStatus, isFinalStatus, TASK_STATUSES, type TaskStatus } from '../domain/lifecycle.ts'
import { compileScenario, ScenarioError } from '../domain/scenarios/compile.ts'
import type { Scenario, ScenarioFile, ScenarioOrigin } from '../domain/scenarios/model.ts'
import { type ImportDone, type StateDocument, StateError } from '../domain/state/registry.ts'
import { type TaskRecord, taskState } from '../domain/task.ts'
import { maskKey } from '../domain/tenants.ts'
import {
  type AttemptKind, type Delivery, type DeliveryStatus, type Endpoint, type EndpointOrigin, WEBHOOK_EVENTS, type WebhookEvent
} from '../domain/webhooks/model.ts'
import type { Services } from '../services.ts'
import { linkMaker } from '../api/links.ts'
import { toWireTask } from '../api/v2/task-wire.ts'
import { badRequest, keyIdOf, knownKeys, tenantFor } from './common.ts'

// ---- clock ----

export interface ClockView {
  readonly mode: ClockMode
  /** Virtual milliseconds per wall millisecond (real mode). */
  readonly speed: number
  /** The emulator's time, ISO 8601. */
  readonly now: string
  /** The same instant in epoch milliseconds. */
  readonly nowMs: number
}

export function clockView (clock: Clock): ClockView {
  const { mode, speed, now } = clock.state()
  return { mode, speed, now: new Date(now).toISOString(), nowMs: now }
}

const CLOCK_MODES: readonly ClockMode[] = ['real', 'manual']

/** Runs a clock change; the clock's refusals (back in time, bad speed) are the caller's 9400. */
function steer (clock: Clock, change: () => void): ClockView {
  try {
    change()
  } catch (error) {
    if (error instanceof ClockError) throw badRequest(error.message)
    throw error
  }
  return clockView(clock)
}

/** Switches the mode and/or sets the speed. */
export function configureClock (clock: Clock, settings: { readonly mode?: ClockMode, readonly speed?: number }): ClockView {
  // The routes' schemas check this already; an in-process caller from plain JavaScript may not.
  if (settings.mode !== undefined && !CLOCK_MODES.includes(settings.mode)) throw badRequest(`mode: ${JSON.stringify(settings.mode)} is not one of ${CLOCK_MODES.join(', ')}`)
  return steer(clock, () => {
    if (settings.mode !== undefined) clock.setMode(settings.mode)
    if (settings.speed !== undefined) clock.setSpeed(settings.speed)
  })
}

/** Moves the clock forward by milliseconds or a duration string ("90s", "1h30m"). */
export function advanceClock (clock: Clock, by: number | string): ClockView {
  const ms = parseDuration(by)
  if (ms === undefined) throw badRequest(`by: ${JSON.stringify(by)} is not a duration (ms, or e.g. "90s", "5m", "1h30m")`)
  return steer(clock, () => clock.advance(ms))
}

/** Jumps to an instant (ISO 8601 with a zone, or epoch ms); never backwards. */
export function setClock (clock: Clock, to: number | string): ClockView {
  const instant = parseInstant(to)
  if (instant === undefined) throw badRequest(`to: ${JSON.stringify(to)} is not an instant (ISO 8601 with a zone, or epoch ms)`)
  return steer(clock, () => clock.set(instant))
}

// ---- tasks ----

export interface TaskView {
  readonly taskId: string
  /** The owner's API key, masked. */
  readonly key: string
  /** The owner key's id (`X-Tripo-Mock-Key-Id`). */
  readonly keyId: string
  readonly type: string
  /** Status now. */
  readonly status: TaskStatus
  readonly progress: number
  /** Decided at creation (default rules or a scenario): the final status and when. */
  readonly fate: {
    readonly status: FinalStatus
    readonly errorCode: number | undefined
    readonly atProgress: number | undefined
    readonly afterMs: number | undefined
    readonly stall: 'queued' | 'running' | undefined
  }
  /** The scenario rule that decided the fate, if any. */
  readonly decidedBy: string | null
  /** Credits frozen at creation. */
  readonly cost: number
  readonly timeline: {
    /** Created (ISO 8601). */
    readonly queuedAt: string
    /** Leaves the queue; null: never (stalled in the queue). */
    readonly runningAt: string | null
    /** Reaches its final status; null: never (stalled). */
    readonly finalAt: string | null
  }
}

export function taskView (task: TaskRecord, now: number): TaskView {
  const state = taskState(task, now)
  const { status, errorCode, atProgress, afterMs, stall } = task.fate
  return {
    taskId: task.id,
    key: maskKey(task.owner),
    keyId: keyIdOf(task.owner),
    type: task.type,
    status: state.status,
    progress: state.progress,
    fate: { status, errorCode, atProgress, afterMs, stall },
    decidedBy: task.fateSource ?? null,
    cost: task.cost,
    timeline: {
      queuedAt: new Date(task.timeline.createdAt).toISOString(),
      runningAt: isoOrNull(task.timeline.startAt),
      finalAt: isoOrNull(task.timeline.endAt)
    }
  }
}

/** Which tasks `findTasks` lists: one key's or every key's, in one status, a page at a time. */
export interface TaskQuery {
  /** The full API key; every key's tasks when left out. */
  readonly key?: string | undefined
  readonly status?: TaskStatus | undefined
  /** Creation order (default: oldest first). */
  readonly order?: 'oldest' | 'newest' | undefined
  /** At most this many (1 to MAX_TASK_PAGE, default MAX_TASK_PAGE). */
  readonly limit?: number | undefined
  /** The task after which this page starts: the previous page's `next`. */
  readonly after?: string | undefined
}

export interface TaskPage {
  readonly tasks: TaskView[]
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null
}

export const MAX_TASK_PAGE = 1000

/** A page of tasks, of one key or of every key. */
export function findTasks (services: Services, query: TaskQuery = {}): TaskPage {
  const { key, status, order = 'oldest', limit = MAX_TASK_PAGE, after } = query
  if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= MAX_TASK_PAGE)) throw badRequest(`limit: ${JSON.stringify(limit)} is not a whole number from 1 to ${MAX_TASK_PAGE}`)
  if (status !== undefined && !TASK_STATUSES.includes(status)) throw badRequest(`status: ${JSON.stringify(status)} is not one of ${TASK_STATUSES.join(', ')}`)
  const source = [...(key === undefined ? services.emulator.tasks() : services.emulator.existingTenant(key)?.tasks.values() ?? [])]
  if (order === 'newest') source.reverse()
  let start = 0
  if (after !== undefined) {
    start = source.findIndex((task) => task.id === after) + 1
    if (start === 0) throw badRequest(`after: task ${after} is not in this list (forgotten, or another key's)`)
  }
  const now = services.clock.now()
  const tasks: TaskView[] = []
  for (let i = start; i < source.length; i++) {
    const task = source[i] as TaskRecord
    if (status !== undefined && taskState(task, now).status !== status) continue
    if (tasks.length === limit) return { tasks, next: (tasks.at(-1) as TaskView).taskId }
    tasks.push(taskView(task, now))
  }
  return { tasks, next: null }
}

function findTask (services: Services, taskId: string): TaskRecord {
  const task = services.emulator.findTask(taskId)
  if (task === undefined) throw new ApiError('MOCK_NOT_FOUND', { detail: `no task ${taskId}` })
  return task
}

/** One task by id, whatever its key. */
export function getTaskView (services: Services, taskId: string): TaskView {
  return taskView(findTask(services, taskId), services.clock.now())
}

export interface TaskOutput {
  /** The output field: `pbr_model`, `rendered_image`, `generate_multiview_image.front_view_url`, ... */
  readonly name: string
  /** Signed and expiring, as the API hands it out. */
  readonly url: string
  /** The same URL from the emulator's root (path and query): for a page served under a base path. */
  readonly path: string
  /** The file's extension: glb, fbx, webp, ... */
  readonly format: string
}

export interface TaskOutputs {
  readonly taskId: string
  readonly status: TaskStatus
  /** Empty until the task succeeds, as on the API. */
  readonly outputs: TaskOutput[]
}

/** A task's output files, signed under `base` (the emulator's URL, or publicUrl). */
export function taskOutputs (services: Services, taskId: string, base: string): TaskOutputs {
  const task = findTask(services, taskId)
  const state = taskState(task, services.clock.now())
  const outputs: TaskOutput[] = []
  const add = (name: string, url: string): void => {
    const path = url.slice(base.length)
    const file = path.slice(0, path.indexOf('?'))
    outputs.push({ name, url, path, format: file.slice(file.lastIndexOf('.') + 1) })
  }
  for (const [name, value] of Object.entries(toWireTask(task, state, linkMaker(services, base)).output)) {
    if (typeof value === 'string') add(name, value)
    else if (typeof value === 'object' && value !== null) for (const [view, url] of Object.entries(value as Record<string, string>)) add(`${name}.${view}`, url)
  }
  return { taskId: task.id, status: state.status, outputs }
}

/** What forcing a task asks for: nothing (its next state), or a final status (and error code). */
export interface ForceRequest {
  readonly status?: FinalStatus
  readonly errorCode?: number
}

export interface Forced {
  readonly view: TaskView
  readonly from: TaskStatus
}

/** Moves a task on now: to its next state, or straight to the given final status. */
export function forceTask (services: Services, taskId: string, request: ForceRequest = {}): Forced {
  const task = findTask(services, taskId)
  const { status, errorCode } = request
  if (errorCode !== undefined && status === undefined) throw badRequest('errorCode needs a status')
  if (status !== undefined && !isFinalStatus(status)) throw badRequest(`status: ${JSON.stringify(status)} is not one of ${FINAL_STATUSES.join(', ')}`)
  const fate: Fate | undefined = status === undefined ? undefined : errorCode === undefined ? { status } : { status, errorCode }
  const from = taskState(task, services.clock.now()).status
  if (!services.emulator.forceTask(task, fate)) throw badRequest(`task ${task.id} is already final (${from})`)
  return { view: taskView(task, services.clock.now()), from }
}

// ---- credits ----

export interface Credits {
  /** Available credits. */
  readonly balance: number
  /** Credits held by queued and running tasks. */
  readonly frozen: number
}

export function getCredits (services: Services, key: string): Credits {
  return services.emulator.balanceOf(tenantFor(services, key))
}

/** Sets a key's balance and/or frozen credits; a field left out keeps its value. */
export function setCredits (services: Services, key: string, credits: { readonly balance?: number, readonly frozen?: number }): Credits {
  for (const [field, value] of Object.entries(credits)) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) throw badRequest(`${field}: ${JSON.stringify(value)} is not a whole number of credits (0 or more)`)
  }
  return services.emulator.setCredits(tenantFor(services, key), credits)
}

// ---- keys ----

export interface KeyView {
  /** Masked. */
  readonly key: string
  /** What `X-Tripo-Mock-Key-Id` takes, and the dashboard's links carry. */
  readonly keyId: string
  /** Tasks kept. */
  readonly tasks: number
  /** Null until the key's first call (it then starts with startingCredits). */
  readonly credits: Credits | null
  /** Scenarios bound to the key. */
  readonly scenarios: string[]
}

export interface KeyList {
  readonly keys: KeyView[]
}

/** Every key the emulator knows (it called, or a scenario is bound to it). */
export function listKeys (services: Services): KeyList {
  const bindings = services.scenarios.bindings()
  const keys = knownKeys(services).map((key) => {
    const tenant = services.emulator.existingTenant(key)
    return {
      key: maskKey(key),
      keyId: keyIdOf(key),
      tasks: tenant?.tasks.size ?? 0,
      credits: tenant === undefined ? null : services.emulator.balanceOf(tenant),
      scenarios: bindings[key] ?? []
    }
  })
  return { keys }
}

// ---- reset ----

export interface ResetDone {
  readonly scope: 'all' | 'tenant'
  /** The tenant's key, masked. */
  readonly key?: string
  /** The services that forgot their state. */
  readonly participants: string[]
}

/** Forgets everything, or one key's tenant (tasks, uploads, credits, limits, bindings, journal). */
export function resetState (services: Services, key?: string): ResetDone {
  const participants = services.resets.reset(key)
  services.events.reset(key)
  return key === undefined ? { scope: 'all', participants } : { scope: 'tenant', key: maskKey(key), participants }
}

// ---- journal ----

export interface JournalQuery {
  /** The full API key (matched exactly). */
  readonly key?: string | undefined
  readonly traceId?: string | undefined
  readonly operation?: JournalOperation | undefined
  readonly surface?: JournalSurface | undefined
  readonly status?: number | undefined
  /** Entries at or after this instant: ISO 8601 with a zone, or epoch ms. */
  readonly since?: string | number | undefined
  readonly earlyRetry?: boolean | undefined
  /** The error code (0: success). */
  readonly code?: number | undefined
  /** A scenario rule (`<scenario>/<rule>`), or every rule of a scenario (`<scenario>`). */
  readonly injectedBy?: string | undefined
  /** Text inside the URL, headers or bodies, in any case. */
  readonly text?: string | undefined
}

/** A journal entry as the control plane lists it: the time in ISO 8601, the key masked. */
export type JournalEntryView = Pick<JournalEntry, 'traceId' | 'operation' | 'surface' | 'method' | 'path' | 'status' | 'code' | 'injectedBy' | 'latencyMs' | 'earlyRetry'> & {
  /** When the answer was sent, on the emulator's clock (ISO 8601). */
  readonly time: string
  /** The API key, masked; null when none was sent. */
  readonly key: string | null
  /** The key's id; null when none was sent. */
  readonly keyId: string | null
}

/** A body in the detail view: its text (perhaps cut short), or why there is none. */
export interface BodyView {
  /** The text kept; null when the body had no text form, or none was kept. */
  readonly text: string | null
  /** Characters the body had (its text's length when whole). */
  readonly length: number
  readonly truncated: boolean
}

/** One request in full: what it sent and what it got, the API key masked. */
export type JournalDetailView = JournalEntryView & {
  /** Path and query string, as requested. */
  readonly url: string
  readonly request: { readonly headers: Record<string, string>, readonly body: BodyView }
  readonly response: { readonly headers: Record<string, string>, readonly body: BodyView }
}

export function journalFilter (query: JournalQuery): JournalFilter {
  let since: number | undefined
  if (query.since !== undefined) {
    since = parseInstant(query.since)
    if (since === undefined) throw badRequest(`since: ${JSON.stringify(query.since)} is not an instant (ISO 8601 with a zone, or epoch ms)`)
  }
  const { key, traceId, operation, status, earlyRetry, code, injectedBy, surface, text } = query
  return { key, traceId, operation, status, since, earlyRetry, code, injectedBy, surface, text }
}

export function journalEntryView (entry: JournalEntry): JournalEntryView {
  return {
    time: new Date(entry.time).toISOString(),
    traceId: entry.traceId,
    key: entry.key === undefined ? null : maskKey(entry.key),
    keyId: entry.key === undefined ? null : keyIdOf(entry.key),
    operation: entry.operation,
    surface: entry.surface,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    code: entry.code,
    injectedBy: entry.injectedBy,
    latencyMs: Math.round(entry.latencyMs * 1000) / 1000,
    earlyRetry: entry.earlyRetry
  }
}

function bodyView (kept: KeptText | undefined): BodyView {
  const text = textOf(kept) ?? null
  const length = typeof kept === 'object' ? kept.total : text?.length ?? 0
  return { text, length, truncated: typeof kept === 'object' }
}

/** One request in full, by its trace id. */
export function journalDetail (services: Services, traceId: string): JournalDetailView {
  const [entry] = services.journal.find({ traceId }, 1)
  if (entry === undefined) throw new ApiError('MOCK_NOT_FOUND', { detail: `no request ${traceId} in the journal (it keeps the latest journalSize)` })
  return {
    ...journalEntryView(entry),
    url: entry.url,
    request: { headers: shownHeaders(entry.requestHeaders), body: bodyView(entry.requestBody) },
    response: { headers: shownHeaders(entry.responseHeaders), body: bodyView(entry.responseBody) }
  }
}

export interface JournalPage {
  /** Newest first. */
  readonly entries: JournalEntryView[]
  /** journalSize: the oldest entries go beyond it. */
  readonly capacity: number
}

/** Matching requests, newest first, at most `limit`. */
export function journalEntries (services: Services, query: JournalQuery = {}, limit?: number): JournalPage {
  return { entries: services.journal.find(journalFilter(query), limit).map(journalEntryView), capacity: services.journal.capacity }
}

export interface JournalCount {
  readonly count: number
}

export function journalCount (services: Services, query: JournalQuery = {}): JournalCount {
  return { count: services.journal.count(journalFilter(query)) }
}

export interface JournalCleared {
  /** How many entries went. */
  readonly removed: number
}

/** Clears the journal, or one key's entries. */
export function clearJournal (services: Services, key?: string): JournalCleared {
  return { removed: services.journal.clear(key) }
}

// ---- scenarios ----

export interface ScenarioSummary {
  readonly name: string
  readonly description: string
  /** builtin (the package), file (scenariosDir), adhoc (added through the control plane). */
  readonly origin: ScenarioOrigin
  readonly file?: string
  /** How many rules. */
  readonly rules: number
  readonly activeGlobally: boolean
  /** The keys it is bound to, masked. */
  readonly keys: string[]
}

export interface ScenarioDetail extends ScenarioSummary {
  /** The scenario as written. */
  readonly definition: ScenarioFile
}

/** A scenario in the file format, with its name: what an ad-hoc scenario is made of. */
export type ScenarioDefinition = ScenarioFile & { readonly name: string }

export interface Activation {
  readonly name: string
  readonly scope: 'global' | 'key'
  readonly active: boolean
}

export function scenarioSummary (services: Services, scenario: Scenario): ScenarioSummary {
  const { scenarios } = services
  const keys = Object.entries(scenarios.bindings()).filter(([, names]) => names.includes(scenario.name)).map(([key]) => maskKey(key))
  return {
    name: scenario.name,
    description: scenario.description,
    origin: scenario.origin,
    ...(scenario.file === undefined ? {} : { file: scenario.file }),
    rules: scenario.rules.length,
    activeGlobally: scenarios.activeGlobally().includes(scenario.name),
    keys
  }
}

function scenarioDetail (services: Services, scenario: Scenario): ScenarioDetail {
  return { ...scenarioSummary(services, scenario), definition: scenario.source }
}

export function listScenarios (services: Services): ScenarioSummary[] {
  return services.scenarios.list().map((scenario) => scenarioSummary(services, scenario))
}

export function getScenario (services: Services, name: string): ScenarioDetail {
  const scenario = services.scenarios.get(name)
  if (scenario === undefined) throw new ApiError('MOCK_NOT_FOUND', { detail: `unknown scenario "${name}"` })
  return scenarioDetail(services, scenario)
}

/** Activates (or deactivates) a scenario globally, or for one API key. */
export function activateScenario (services: Services, name: string, active: boolean, key?: string): Activation {
  if (active) services.scenarios.activate(name, key)
  else services.scenarios.deactivate(name, key)
  services.events.scenarios({ change: active ? 'activated' : 'deactivated', name, key })
  return { name, scope: key === undefined ? 'global' : 'key', active }
}

/** Runs a scenario compilation or load; its refusals (naming the rule and field) are the caller's 9400, every problem listed. */
function checked<T> (load: () => T): T {
  try {
    return load()
  } catch (error) {
    if (error instanceof ScenarioError) throw badRequest(error.problems.join('; '))
    throw error
  }
}

function addable (definition: unknown): Scenario {
  const name = (definition as { name?: unknown } | null)?.name
  return checked(() => compileScenario(definition, { origin: 'adhoc', ...(typeof name === 'string' ? { where: `ad-hoc scenario "${name}"` } : {}) }))
}

/** Adds (or replaces) an ad-hoc scenario: the file format, with a name. */
export function addScenario (services: Services, definition: unknown): ScenarioDetail {
  const scenario = addable(definition)
  services.scenarios.addAdhoc(scenario)
  services.events.scenarios({ change: 'added', name: scenario.name })
  return scenarioDetail(services, scenario)
}

export interface ScenarioCheck {
  readonly valid: boolean
  /** What the compiler refused, naming the rule and field (as adding it would answer). */
  readonly message?: string
}

/** Checks an ad-hoc scenario without adding it: what the dashboard's editor shows as one types. */
export function checkScenario (definition: unknown): ScenarioCheck {
  try {
    addable(definition)
    return { valid: true }
  } catch (error) {
    return { valid: false, message: (error as ApiError).detail as string }
  }
}

export interface ScenarioRemoved {
  /** The ad-hoc scenario's name. */
  readonly removed: string
}

/** Removes an ad-hoc scenario (and its activations). */
export function removeScenario (services: Services, name: string): ScenarioRemoved {
  services.scenarios.removeAdhoc(name)
  services.events.scenarios({ change: 'removed', name })
  return { removed: name }
}

export interface ScenariosReloaded {
  /** Scenarios now loaded from files (built-in and scenariosDir). */
  readonly loaded: number
}

/** Re-reads the scenario files, all or nothing. */
export function reloadScenarios (services: Services): ScenariosReloaded {
  checked(() => services.reloadScenarios())
  services.events.scenarios({ change: 'reloaded' })
  return { loaded: services.scenarios.list().filter((scenario) => scenario.origin !== 'adhoc').length }
}

// ---- webhooks ----

export interface WebhookEndpointView {
  /** `ep_...`: the Tripo-Webhook-Id header of its deliveries. */
  readonly id: string
  readonly url: string
  /** The whole whsec_... secret, to verify signatures with. */
  readonly secret: string
  /** The events it receives. */
  readonly events: WebhookEvent[]
  /** `all`: every key's events; `key`: one key's. */
  readonly scope: 'all' | 'key'
  /** The key, masked; null for every key. */
  readonly key: string | null
  /** config: from the `webhooks` setting; control: added here. */
  readonly origin: EndpointOrigin
  readonly enabled: boolean
  /** Why it is disabled: by hand (control) or after failed deliveries in a row (failures). */
  readonly disabledBy: 'control' | 'failures' | null
  /** Failed deliveries in a row (every attempt used). */
  readonly consecutiveFailures: number
  readonly createdAt: string
}

export interface WebhookAttemptView {
  readonly kind: AttemptKind
  /** When it was sent, on the emulator's clock (ISO 8601). */
  readonly at: string
  readonly url: string
  /** The Tripo-Webhook-Signature sent. */
  readonly signature: string
  /** The HTTP status of the answer; null when none came. */
  readonly status: number | null
  /** Wall milliseconds until the answer or the failure. */
  readonly latencyMs: number
  /** The start of the answer's body (512 bytes at most). */
  readonly response: string
  /** What went wrong when no answer came (refused, reset, timed out). */
  readonly error: string | null
}

export interface WebhookDeliveryView {
  /** The Tripo-Webhook-Delivery header: the same on every attempt. */
  readonly id: string
  readonly endpointId: string
  /** The API key it is about, masked; null for a custom body to an endpoint of every key. */
  readonly key: string | null
  /** The Tripo-Webhook-Event header. */
  readonly event: string
  /** The body's id (`<task id>:<event>`). */
  readonly eventId: string
  readonly taskId: string | null
  readonly status: DeliveryStatus
  /** When the delivery was made, on the emulator's clock (ISO 8601). */
  readonly createdAt: string
  /** When the next attempt is due (pending); null otherwise. */
  readonly nextAttemptAt: string | null
  /** Out of order: held back until the next delivery to its endpoint has been sent. */
  readonly heldBack: boolean
  /** The scenario rule that decided how it goes. */
  readonly injectedBy: string | null
  /** Why it ended without an attempt, or was dropped. */
  readonly note: string | null
  /** The body sent; null before the first attempt. */
  readonly body: string | null
  readonly attempts: WebhookAttemptView[]
}

export interface WebhookEndpointInput {
  readonly url: string
  /** The whole whsec_... string; generated when left out. */
  readonly secret?: string
  /** Among task.completed, task.failed, balance.low; all when left out. */
  readonly events?: readonly WebhookEvent[]
  /** false: registered disabled. */
  readonly enabled?: boolean
}

export interface WebhookEndpointChanges {
  readonly url?: string
  readonly secret?: string
  /** null: every event. */
  readonly events?: readonly WebhookEvent[] | null
}

export interface WebhookDeliveryQuery {
  /** The full API key (matched exactly). */
  readonly key?: string | undefined
  readonly endpointId?: string | undefined
  readonly event?: string | undefined
  readonly taskId?: string | undefined
  readonly status?: DeliveryStatus | undefined
}

export interface WebhookTrigger {
  /** The task of a task.completed or task.failed. */
  readonly taskId?: string | undefined
  /** By default, for a final task, the event of its status; balance.low needs `key`. */
  readonly event?: string | undefined
  /** The key of a balance.low. */
  readonly key?: string | undefined
  /** Only to this endpoint; by default every enabled endpoint that receives the event. */
  readonly endpointId?: string | undefined
}

export function webhookEndpointView (endpoint: Endpoint): WebhookEndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    secret: endpoint.secret,
    events: [...endpoint.events ?? WEBHOOK_EVENTS],
    scope: endpoint.key === undefined ? 'all' : 'key',
    key: endpoint.key === undefined ? null : maskKey(endpoint.key),
    origin: endpoint.origin,
    enabled: endpoint.enabled,
    disabledBy: endpoint.disabledBy ?? null,
    consecutiveFailures: endpoint.consecutiveFailures,
    createdAt: new Date(endpoint.createdAt).toISOString()
  }
}

export function webhookDeliveryView (delivery: Delivery): WebhookDeliveryView {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    key: delivery.key === undefined ? null : maskKey(delivery.key),
    event: delivery.event,
    eventId: delivery.eventId,
    taskId: delivery.taskId ?? null,
    status: delivery.status,
    createdAt: new Date(delivery.createdAt).toISOString(),
    nextAttemptAt: delivery.nextAttemptAt === undefined ? null : new Date(delivery.nextAttemptAt).toISOString(),
    heldBack: delivery.heldBack,
    injectedBy: delivery.injectedBy ?? null,
    note: delivery.note ?? null,
    body: delivery.body ?? null,
    attempts: delivery.attempts.map((attempt) => ({
      kind: attempt.kind,
      at: new Date(attempt.at).toISOString(),
      url: attempt.url,
      signature: attempt.signature,
      status: attempt.status ?? null,
      latencyMs: attempt.latencyMs,
      response: attempt.response,
      error: attempt.error ?? null
    }))
  }
}

/** Every endpoint, or those that receive one key's events (its own and every key's). */
export function listWebhookEndpoints (services: Services, key?: string): WebhookEndpointView[] {
  return services.webhooks.endpoints(key).map(webhookEndpointView)
}

export function getWebhookEndpoint (services: Services, id: string): WebhookEndpointView {
  return webhookEndpointView(services.webhooks.endpoint(id))
}

/** Registers an endpoint for one key's events, or (no key) every key's; the secret is generated when not given. */
export function addWebhookEndpoint (services: Services, endpoint: WebhookEndpointInput, key?: string): WebhookEndpointView {
  // The route's schema checks the shape; an in-process caller from plain JavaScript may send anything.
  if (typeof endpoint !== 'object' || endpoint === null) throw badRequest('give the endpoint as {url, secret?, events?, enabled?}')
  return webhookEndpointView(services.webhooks.addEndpoint(endpoint, key))
}

/** Changes an endpoint's URL, secret or events; a field left out keeps its value. */
export function updateWebhookEndpoint (services: Services, id: string, changes: WebhookEndpointChanges): WebhookEndpointView {
  return webhookEndpointView(services.webhooks.updateEndpoint(id, changes))
}

export function enableWebhookEndpoint (services: Services, id: string, enabled: boolean): WebhookEndpointView {
  return webhookEndpointView(services.webhooks.setEnabled(id, enabled))
}

export function removeWebhookEndpoint (services: Services, id: string): void {
  services.webhooks.removeEndpoint(id)
}

/** Matching deliveries, newest first, at most `limit`, each with every attempt. */
export function listWebhookDeliveries (services: Services, query: WebhookDeliveryQuery = {}, limit?: number): WebhookDeliveryView[] {
  return services.webhooks.deliveries(query, limit).map(webhookDeliveryView)
}

export function getWebhookDelivery (services: Services, id: string): WebhookDeliveryView {
  return webhookDeliveryView(services.webhooks.delivery(id))
}

/** Sends a delivery again at once (same Tripo-Webhook-Delivery and body). */
export function resendWebhookDelivery (services: Services, id: string): WebhookDeliveryView {
  return webhookDeliveryView(services.webhooks.resend(id))
}

/** Makes an event now (a task's, or a key's balance.low) and delivers it. */
export function triggerWebhook (services: Services, request: WebhookTrigger): WebhookDeliveryView[] {
  return services.webhooks.trigger(request).map(webhookDeliveryView)
}

/** Sends a body of your own, signed, to one endpoint. */
export function sendWebhook (services: Services, endpointId: string, body: unknown, event?: string): WebhookDeliveryView {
  return webhookDeliveryView(services.webhooks.sendCustom(endpointId, body, event))
}

// ---- state ----

/** The snapshot as JSON text: what `GET /__mock/state` answers and exported files hold. */
export function exportStateText (services: Services, key?: string): string {
  return JSON.stringify(services.state.export({ key, writtenAt: new Date().toISOString() }))
}

/** The whole state, or one key's, as a snapshot document (a copy: changing it changes nothing). */
export function exportState (services: Services, key?: string): StateDocument {
  return JSON.parse(exportStateText(services, key)) as StateDocument
}

/** Replaces the whole state, or one key's, by a snapshot: all or nothing (9400 naming the field). */
export function importState (services: Services, document: unknown, key?: string): ImportDone {
  try {
    return services.state.import(document, key)
  } catch (error) {
    if (error instanceof StateError) throw badRequest(error.message)
    throw error
  }
}

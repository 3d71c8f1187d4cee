/**
 * What the control plane can do, as plain functions over the services. The routes under `/__mock`
 * and the in-process handle (`src/index.ts`) both call them and hand back what they return, so
 * both answer with the same shapes (each function returns its route's answer body) and refuse the
 * same things the same way (ApiError 9400 or 9410 with a detail).
 */
import { type Clock, ClockError, type ClockMode } from '../domain/clock.ts'
import { isoOrNull, parseDuration, parseInstant } from '../domain/durations.ts'
import { ApiError } from '../domain/errors.ts'
import type { JournalEntry, JournalFilter, JournalOperation, JournalSurface } from '../domain/journal.ts'
import { type Fate, FINAL_STATUSES, type FinalStatus, isFinalStatus, type TaskStatus } from '../domain/lifecycle.ts'
import { compileScenario, ScenarioError } from '../domain/scenarios/compile.ts'
import type { Scenario, ScenarioFile, ScenarioOrigin } from '../domain/scenarios/model.ts'
import { type TaskRecord, taskState } from '../domain/task.ts'
import { maskKey } from '../domain/tenants.ts'
import type { Services } from '../services.ts'
import { badRequest, tenantFor } from './common.ts'

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

export interface TaskList {
  readonly tasks: TaskView[]
}

/** A key's tasks, oldest first (none for a key that never called). */
export function listTasks (services: Services, key: string): TaskList {
  const tenant = services.emulator.existingTenant(key)
  const now = services.clock.now()
  return { tasks: [...tenant?.tasks.values() ?? []].map((task) => taskView(task, now)) }
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
}

/** A journal entry as the control plane shows it: the time in ISO 8601, the key masked. */
export type JournalEntryView = Omit<JournalEntry, 'time' | 'key'> & {
  /** When the answer was sent, on the emulator's clock (ISO 8601). */
  readonly time: string
  /** The API key, masked; null when none was sent. */
  readonly key: string | null
}

function journalFilter (query: JournalQuery): JournalFilter {
  let since: number | undefined
  if (query.since !== undefined) {
    since = parseInstant(query.since)
    if (since === undefined) throw badRequest(`since: ${JSON.stringify(query.since)} is not an instant (ISO 8601 with a zone, or epoch ms)`)
  }
  return { key: query.key, traceId: query.traceId, operation: query.operation, surface: query.surface, status: query.status, since, earlyRetry: query.earlyRetry }
}

function journalEntryView (entry: JournalEntry): JournalEntryView {
  return {
    time: new Date(entry.time).toISOString(),
    traceId: entry.traceId,
    key: entry.key === undefined ? null : maskKey(entry.key),
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

/** Adds (or replaces) an ad-hoc scenario: the file format, with a name. */
export function addScenario (services: Services, definition: unknown): ScenarioDetail {
  const name = (definition as { name?: unknown } | null)?.name
  const scenario = checked(() => compileScenario(definition, { origin: 'adhoc', ...(typeof name === 'string' ? { where: `ad-hoc scenario "${name}"` } : {}) }))
  services.scenarios.addAdhoc(scenario)
  return scenarioDetail(services, scenario)
}

export interface ScenarioRemoved {
  /** The ad-hoc scenario's name. */
  readonly removed: string
}

/** Removes an ad-hoc scenario (and its activations). */
export function removeScenario (services: Services, name: string): ScenarioRemoved {
  services.scenarios.removeAdhoc(name)
  return { removed: name }
}

export interface ScenariosReloaded {
  /** Scenarios now loaded from files (built-in and scenariosDir). */
  readonly loaded: number
}

/** Re-reads the scenario files, all or nothing. */
export function reloadScenarios (services: Services): ScenariosReloaded {
  checked(() => services.reloadScenarios())
  return { loaded: services.scenarios.list().filter((scenario) => scenario.origin !== 'adhoc').length }
}

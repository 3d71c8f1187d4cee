/**
 * tripo-mock in process: `await startTripoMock()` starts the emulator on a free port of 127.0.0.1
 * and hands back its URLs and the control plane as methods. The methods act on the emulator's
 * services directly (no HTTP), through the same functions as the `/__mock` routes, so they answer
 * the same shapes and refuse the same things (an ApiError whose message says what was wrong).
 *
 * The configuration comes from the options alone (and the defaults), never from the environment
 * or a config file, so a test file behaves the same whatever the shell exports.
 */
import { buildApp } from './app.ts'
import {
  type Activation, activateScenario, addScenario, advanceClock, checkScenario, clearJournal, type ClockView, clockView,
  configureClock, type Credits, exportState, findTasks, forceTask, getCredits, getScenario, getTaskView, importState,
  type JournalCleared, type JournalCount, journalCount, journalDetail, type JournalDetailView, journalEntries,
  type JournalPage, type JournalQuery, type KeyList, listKeys, listScenarios, reloadScenarios, removeScenario,
  type ResetDone, resetState, type ScenarioCheck, type ScenarioDefinition, type ScenarioDetail, type ScenarioRemoved,
  type ScenariosReloaded, type ScenarioSummary, setClock, setCredits, type TaskOutputs, taskOutputs, type TaskPage,
  type TaskQuery, type TaskView,
  addWebhookEndpoint, enableWebhookEndpoint, getWebhookDelivery, getWebhookEndpoint, listWebhookDeliveries,
  listWebhookEndpoints, removeWebhookEndpoint, resendWebhookDelivery, sendWebhook, triggerWebhook, updateWebhookEndpoint,
  type WebhookDeliveryQuery, type WebhookDeliveryView, type WebhookEndpointChanges, type WebhookEndpointInput,
  type WebhookEndpointView, type WebhookTrigger
} from './control/actions.ts'
import type { ClockMode } from './domain/clock.ts'
import type { Fate } from './domain/lifecycle.ts'
import type { ImportDone, StateDocument } from './domain/state/registry.ts'
import { type Config, loadConfig } from './infra/config.ts'
import { V2_PREFIX, V3_PREFIX } from './infra/error-handler.ts'
import { localUrl } from './infra/listen-url.ts'
import type { LoggerChoice } from './infra/logger.ts'

export type { Config, ConfigKey } from './infra/config.ts'
export { ConfigError } from './infra/config.ts'
export { ApiError, type ErrorKey } from './domain/errors.ts'
export type { ClockMode } from './domain/clock.ts'
export type { Fate, FinalStatus, TaskStatus } from './domain/lifecycle.ts'
export type { JournalOperation } from './domain/journal.ts'
export type { ImportDone, StateDocument } from './domain/state/registry.ts'
export type {
  Activation, BodyView, ClockView, Credits, JournalCleared, JournalCount, JournalDetailView, JournalEntryView, JournalPage,
  JournalQuery, KeyList, KeyView, ResetDone, ScenarioCheck, ScenarioDefinition, ScenarioDetail, ScenarioRemoved,
  ScenariosReloaded, ScenarioSummary, TaskOutput, TaskOutputs, TaskPage, TaskQuery, TaskView,
  WebhookAttemptView, WebhookDeliveryQuery, WebhookDeliveryView, WebhookEndpointChanges, WebhookEndpointInput,
  WebhookEndpointView, WebhookTrigger
} from './control/actions.ts'
export type { DeliveryStatus, WebhookEvent } from './domain/webhooks/model.ts'
export { verifyWebhookSignature, type VerifyWebhookOptions, type WebhookSignatureVerdict } from './domain/webhooks/signature.ts'

/** Where the emulator's logs go: `false` for nowhere; otherwise a level (default `logLevel`) and/or a stream (default stdout). */
export type TripoMockLogger = false | Partial<LoggerChoice>

/**
 * Any setting of the configuration (see the README's table), plus where logs go. In process the
 * defaults differ in three places: `port` 0 (a free port), `host` 127.0.0.1, `logLevel` warn.
 */
export type TripoMockOptions = Partial<Config> & {
  /** Defaults to stdout at `logLevel`. */
  readonly logger?: TripoMockLogger
}

/** A final status to force a task to (and its error code). */
export type ForcedFate = Pick<Fate, 'status' | 'errorCode'>

export interface TripoMockClock {
  /** The emulator's time, epoch milliseconds. */
  now (): number
  state (): ClockView
  /** Forward by milliseconds or a duration such as "90s", "5m", "1h30m". Tasks move with it. */
  advance (by: number | string): ClockView
  /** To an instant (ISO 8601 with a zone, epoch ms, or a Date); never backwards. */
  set (to: number | string | Date): ClockView
  /** real: time flows (times the speed); manual: only advance and set move it. */
  setMode (mode: ClockMode): ClockView
  setSpeed (speed: number): ClockView
}

export interface TripoMockScenarios {
  list (): ScenarioSummary[]
  get (name: string): ScenarioDetail
  /** Globally, or for one API key. */
  activate (name: string, scope?: { readonly key?: string }): Activation
  deactivate (name: string, scope?: { readonly key?: string }): Activation
  /** Adds (or replaces) an ad-hoc scenario: the scenario file format, with a name. */
  add (definition: ScenarioDefinition): ScenarioDetail
  /** What adding it would refuse, without adding it. */
  check (definition: ScenarioDefinition): ScenarioCheck
  /** Removes an ad-hoc scenario and its activations. */
  remove (name: string): ScenarioRemoved
  /** Re-reads the scenario files (all or nothing); says how many are loaded from files. */
  reload (): ScenariosReloaded
}

export interface TripoMockTasks {
  /** A key's tasks, oldest first, with their status now, fate and timeline: `find({ key })`. */
  list (key: string): TaskPage
  /** A page of tasks, of one key or of every key (`next` goes in `after` for the next page). */
  find (query?: TaskQuery): TaskPage
  /** One task, whatever its key. */
  get (taskId: string): TaskView
  /** Its output files, signed as the API hands them out (empty until it succeeds). */
  outputs (taskId: string): TaskOutputs
  /** Moves a task on now: to its next state, or (with a fate) straight to that final status. */
  force (taskId: string, fate?: ForcedFate): TaskView
}

export interface TripoMockCredits {
  get (key: string): Credits
  /** A field left out keeps its value. */
  set (key: string, credits: { readonly balance?: number, readonly frozen?: number }): Credits
}

export interface TripoMockJournal {
  /** The latest requests to the emulated API, newest first (and the journal's capacity). */
  entries (filter?: JournalQuery & { readonly limit?: number }): JournalPage
  count (filter?: JournalQuery): JournalCount
  /** One request in full: URL, headers and bodies (bounded, the API key masked), and its answer's. */
  get (traceId: string): JournalDetailView
  /** Clears the journal, or one key's entries; says how many went. */
  clear (key?: string): JournalCleared
}

export interface TripoMockWebhooks {
  /** Every endpoint, or (with a key) those that receive its events: its own and every key's. */
  endpoints (scope?: { readonly key?: string }): { endpoints: WebhookEndpointView[] }
  endpoint (id: string): WebhookEndpointView
  /** For one key's events, or (no key) every key's; the whsec_... secret is generated when not given. */
  addEndpoint (endpoint: WebhookEndpointInput, scope?: { readonly key?: string }): WebhookEndpointView
  /** A field left out keeps its value; `events: null` is every event. */
  updateEndpoint (id: string, changes: WebhookEndpointChanges): WebhookEndpointView
  /** Enabled again, its failure count starts afresh. */
  enable (id: string): WebhookEndpointView
  disable (id: string): WebhookEndpointView
  removeEndpoint (id: string): { removed: string }
  /** Newest first, each with every attempt; filters: key, endpointId, event, taskId, status, limit. */
  deliveries (filter?: WebhookDeliveryQuery & { readonly limit?: number }): { deliveries: WebhookDeliveryView[], capacity: number }
  delivery (id: string): WebhookDeliveryView
  /** Sends it again at once (same Tripo-Webhook-Delivery and body). */
  resend (id: string): WebhookDeliveryView
  /** An event now: `{ taskId }` (its status's event, or `event`), or `{ event: 'balance.low', key }`; `endpointId` for one endpoint only. */
  trigger (request: WebhookTrigger): { deliveries: WebhookDeliveryView[] }
  /** A body of your own (JSON, or a string sent as it is), signed, to one endpoint. */
  send (endpointId: string, body: unknown, options?: { readonly event?: string }): WebhookDeliveryView
  /** Resolves once no attempt is in flight or waiting for a slot: await it after advancing the clock. */
  idle (): Promise<void>
}

export interface TripoMockState {
  /** The whole state as a snapshot document (a copy), or one key's (`{ key }`). */
  export (scope?: { readonly key?: string }): StateDocument
  /**
   * Replaces the whole state by a snapshot, or one key's (`{ key }`, a snapshot of that key): all
   * or nothing. The snapshot resumes where it was taken: its instants move to the emulator's now.
   */
  import (document: StateDocument, scope?: { readonly key?: string }): ImportDone
}

export interface TripoMock {
  /** The base URL, e.g. http://127.0.0.1:54321. */
  readonly url: string
  /** The emulated API's base URL: V3's (`url` + /v3), what the official SDKs take as their base URL. */
  readonly apiUrl: string
  /** V3's base URL, `url` + /v3 (the same as `apiUrl`). */
  readonly v3Url: string
  /** The legacy V2's base URL, `url` + /v2/openapi. */
  readonly v2Url: string
  readonly port: number
  /** The configuration it runs with. */
  readonly config: Readonly<Config>
  readonly clock: TripoMockClock
  readonly scenarios: TripoMockScenarios
  readonly tasks: TripoMockTasks
  readonly credits: TripoMockCredits
  readonly journal: TripoMockJournal
  /** Every API key the emulator knows, masked, with its id, tasks, credits and scenarios. */
  keys (): KeyList
  readonly webhooks: TripoMockWebhooks
  /** Snapshots of the state: export, import. */
  readonly state: TripoMockState
  /** Forgets one key (tasks, uploads, credits, limits, scenario bindings, journal), or everything. */
  reset (key?: string): ResetDone
  /** Stops listening; requests in flight finish first; then writes `exportOnExit`, when set. */
  close (): Promise<void>
}

/** In-process defaults: parallel test files never collide on a port, and stay quiet. */
const IN_PROCESS_DEFAULTS: Partial<Config> = { port: 0, host: '127.0.0.1', logLevel: 'warn' }

export async function startTripoMock (options: TripoMockOptions = {}): Promise<TripoMock> {
  const { logger, ...settings } = options
  const config = loadConfig({ overrides: { ...IN_PROCESS_DEFAULTS, ...settings } })
  const { app, services } = await buildApp({
    config,
    logger: logger === false ? false : { level: config.logLevel, format: config.logFormat, ...logger }
  })
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await app.close()
    throw error
  }
  const { port } = app.server.address() as { port: number }
  const url = localUrl(config.host, port)
  const { clock } = services
  let closing: Promise<void> | undefined

  return {
    url,
    apiUrl: `${url}${V3_PREFIX}`,
    v3Url: `${url}${V3_PREFIX}`,
    v2Url: `${url}${V2_PREFIX}`,
    port,
    config,
    clock: {
      now: () => clock.now(),
      state: () => clockView(clock),
      advance: (by) => advanceClock(clock, by),
      set: (to) => setClock(clock, to instanceof Date ? to.getTime() : to),
      setMode: (mode) => configureClock(clock, { mode }),
      setSpeed: (speed) => configureClock(clock, { speed })
    },
    scenarios: {
      list: () => listScenarios(services),
      get: (name) => getScenario(services, name),
      activate: (name, scope = {}) => activateScenario(services, name, true, scope.key),
      deactivate: (name, scope = {}) => activateScenario(services, name, false, scope.key),
      add: (definition) => addScenario(services, definition),
      check: (definition) => checkScenario(definition),
      remove: (name) => removeScenario(services, name),
      reload: () => reloadScenarios(services)
    },
    tasks: {
      list: (key) => findTasks(services, { key }),
      find: (query) => findTasks(services, query),
      get: (taskId) => getTaskView(services, taskId),
      outputs: (taskId) => taskOutputs(services, taskId, config.publicUrl !== '' ? config.publicUrl.replace(/\/+$/, '') : url),
      force: (taskId, fate) => forceTask(services, taskId, fate).view
    },
    credits: {
      get: (key) => getCredits(services, key),
      set: (key, credits) => setCredits(services, key, credits)
    },
    journal: {
      entries: ({ limit, ...query } = {}) => journalEntries(services, query, limit),
      count: (query) => journalCount(services, query),
      get: (traceId) => journalDetail(services, traceId),
      clear: (key) => clearJournal(services, key)
    },
    keys: () => listKeys(services),
    webhooks: {
      endpoints: (scope = {}) => ({ endpoints: listWebhookEndpoints(services, scope.key) }),
      endpoint: (id) => getWebhookEndpoint(services, id),
      addEndpoint: (endpoint, scope = {}) => addWebhookEndpoint(services, endpoint, scope.key),
      updateEndpoint: (id, changes) => updateWebhookEndpoint(services, id, changes),
      enable: (id) => enableWebhookEndpoint(services, id, true),
      disable: (id) => enableWebhookEndpoint(services, id, false),
      removeEndpoint: (id) => {
        removeWebhookEndpoint(services, id)
        return { removed: id }
      },
      deliveries: ({ limit, ...query } = {}) => ({ deliveries: listWebhookDeliveries(services, query, limit), capacity: services.webhooks.settings.historySize }),
      delivery: (id) => getWebhookDelivery(services, id),
      resend: (id) => resendWebhookDelivery(services, id),
      trigger: (request) => ({ deliveries: triggerWebhook(services, request) }),
      send: (endpointId, body, options = {}) => sendWebhook(services, endpointId, body, options.event),
      idle: () => services.webhooks.idle()
    },
    state: {
      export: (scope = {}) => exportState(services, scope.key),
      // A copy: the caller's document stays theirs to change.
      import: (document, scope = {}) => importState(services, structuredClone(document), scope.key)
    },
    reset: (key) => resetState(services, key),
    close: () => {
      closing ??= app.close()
      return closing
    }
  }
}

/**
 * Webhooks: which events happen, to which endpoints they go, when each attempt is due, and what
 * became of it. The domain decides; the infrastructure sends (a `WebhookTransport` given through
 * `connect`), so nothing here speaks HTTP.
 *
 * - **Events.** `task.completed` / `task.failed` (any other final status, cancelled included) at a
 *   task's final instant, for tasks of either surface; `balance.low` when a key's balance goes
 *   below the threshold (again only after it was back at or above it).
 * - **When.** One clock schedule (`clock-schedule.ts`, as the watch's) holds every unfinished
 *   task at its final instant and every waiting delivery at its next attempt: no timer per task.
 *   Clock jumps, created and forced tasks make it catch up; with the real clock, one timer does.
 *   With the manual clock, events and retries fall due as the clock is advanced.
 * - **Attempts.** A due delivery waits for one of `concurrency` slots, is rendered (once: later
 *   attempts send the same body) and signed at that moment (`t`: the wall clock, which receivers
 *   check theirs against), then sent. A 2xx delivers it; anything else retries on the schedule,
 *   then fails; failed deliveries in a row disable the endpoint.
 * - **Scenarios** (rules on operation `deliverWebhook`) decide, per delivery: late (latency),
 *   duplicated, out of order, badly signed, stale, rotated secret, dropped.
 * - **Bounds.** At most `maxPending` deliveries wait (beyond, a new one fails at once) and
 *   `historySize` finished ones are kept (the oldest go first).
 *
 * The schedule listens to the clock and the emulator only while an endpoint exists.
 */
import { v4 as uuidv4 } from 'uuid'
import { ClockSchedule, type ScheduleTimers } from '../clock-schedule.ts'
import type { Clock } from '../clock.ts'
import type { Emulator } from '../emulator.ts'
import { ApiError } from '../errors.ts'
import type { Decision, ScenarioEngine } from '../scenarios/engine.ts'
import type { WebhookSignatureFault } from '../scenarios/model.ts'
import { taskState, type TaskRecord } from '../task.ts'
import type { Tenant } from '../tenants.ts'
import { checkEvents, checkSecret, checkUrl, configuredEndpointId, newSecret } from './endpoints.ts'
import type {
  Attempt, AttemptKind, Delivery, DeliveryStatus, Endpoint, EndpointOrigin, EndpointSpec, StoredDelivery,
  WebhookChannel, WebhookEvent, WebhookObserver, WebhookResponse, WebhookSettings, WebhookState
} from './model.ts'
import { signatureHeader } from './signature.ts'

/** A stale signature's `t`: this far in the past, twice the receivers' five-minute tolerance. */
export const STALE_SECONDS = 600

export interface WebhookServiceDeps {
  readonly clock: Clock
  readonly emulator: Emulator
  readonly settings: WebhookSettings
  /** Decides scenario effects on deliveries. */
  readonly scenarios: ScenarioEngine
  readonly newId?: () => string
  /** The wall clock of the signature's `t`. */
  readonly wallNow?: () => number
  readonly timers?: ScheduleTimers
}

export interface EndpointChanges {
  readonly url?: string | undefined
  readonly secret?: string | undefined
  /** null: every event again. */
  readonly events?: readonly string[] | null | undefined
}

export interface DeliveryFilter {
  /** The full API key, matched exactly. */
  readonly key?: string | undefined
  readonly endpointId?: string | undefined
  readonly event?: string | undefined
  readonly taskId?: string | undefined
  readonly status?: DeliveryStatus | undefined
}

export interface TriggerRequest {
  /** The task a task event is about. */
  readonly taskId?: string | undefined
  /** The key a `balance.low` is about. */
  readonly key?: string | undefined
  /** Default, for a final task: task.completed on success, task.failed otherwise. */
  readonly event?: string | undefined
  /** Only to this endpoint (whatever its key and events); default: every enabled endpoint that receives it. */
  readonly endpointId?: string | undefined
}

export interface WebhookStats {
  readonly endpoints: number
  readonly deliveries: number
  /** Deliveries not finished: pending or sending. */
  readonly waiting: number
  readonly inFlight: number
  /** Tasks and deliveries filed in the clock schedule. */
  readonly scheduled: number
  readonly timerArmed: boolean
  readonly listening: boolean
}

/** A delivery with what only the service needs. */
interface Tracked extends StoredDelivery {
  /** The task of a task's event; undefined for an imported delivery, whose task is found by its id when it first leaves. */
  readonly task: TaskRecord | undefined
}

/** An event about to become deliveries. */
interface Occurrence {
  readonly event: string
  readonly eventId: string
  readonly key: string | undefined
  readonly taskId?: string
  readonly taskType?: string
  /** When it happened (emulator ms): the first attempt is due then. */
  readonly at: number
  /** A task's event: the body is rendered from the task when the delivery first leaves. */
  readonly task?: TaskRecord
  /** Or the body, fixed now (balance.low, a custom body). */
  readonly fixedBody?: string
}

type Scheduled = TaskRecord | Tracked

const isDelivery = (value: Scheduled): value is Tracked => 'attempts' in value

const refuse = (detail: string): ApiError => new ApiError('MOCK_BAD_REQUEST', { detail })

export class WebhookService {
  readonly settings: WebhookSettings
  private readonly clock: Clock
  private readonly emulator: Emulator
  private readonly scenarios: ScenarioEngine
  private readonly newId: () => string
  private readonly wallNow: () => number
  private readonly endpointsById = new Map<string, Endpoint>()
  /** The configured endpoints as they started: a global reset restores them. */
  private readonly configured: readonly Endpoint[]
  /** Every delivery kept, in creation order. */
  private readonly deliveriesById = new Map<string, Tracked>()
  /** The finished ones, in the order they finished: the history bound forgets the first. */
  private readonly finished = new Map<string, Tracked>()
  /** Due, waiting for a free slot. */
  private readonly ready = new Set<Tracked>()
  /** Out of order, by endpoint: released when another delivery to it has been sent. */
  private readonly heldBack = new Map<string, Set<Tracked>>()
  /** Keys whose balance.low has gone and whose balance has not been back above the threshold since. */
  private readonly lowKeys = new Set<string>()
  private readonly observers = new Set<WebhookObserver>()
  private idleWaiters: Array<() => void> = []
  private readonly schedule: ClockSchedule<Scheduled>
  private channel: WebhookChannel | undefined
  private inFlight = 0
  private unlisten: Array<() => void> = []
  private closed = false

  constructor (deps: WebhookServiceDeps) {
    this.clock = deps.clock
    this.emulator = deps.emulator
    this.settings = deps.settings
    this.scenarios = deps.scenarios
    this.newId = deps.newId ?? uuidv4
    this.wallNow = deps.wallNow ?? Date.now
    this.schedule = new ClockSchedule<Scheduled>(this.clock, this.due, deps.timers)
    this.configured = deps.settings.endpoints.map((spec, index) => ({ ...this.addEndpoint(spec, undefined, 'config', configuredEndpointId(index)) }))
    // A key the tenant bounds forget starts afresh, balance included.
    this.emulator.onTenantEvicted((tenant) => { this.lowKeys.delete(tenant.key) })
  }

  /** Starts sending: due deliveries go out through this channel from now on. */
  connect (channel: WebhookChannel): void {
    this.channel = channel
    this.pump()
  }

  observe (observer: WebhookObserver): () => void {
    this.observers.add(observer)
    return () => { this.observers.delete(observer) }
  }

  // ---- endpoints ----

  /** Registers an endpoint for one key's events, or (no key) every key's. */
  addEndpoint (spec: EndpointSpec, key?: string, origin: EndpointOrigin = 'control', id = `ep_${this.newId()}`): Endpoint {
    if (spec.enabled !== undefined && typeof spec.enabled !== 'boolean') throw refuse('enabled: must be true or false')
    const endpoint: Endpoint = {
      id,
      url: checkUrl(spec.url),
      secret: spec.secret === undefined ? newSecret() : checkSecret(spec.secret),
      events: checkEvents(spec.events),
      key,
      origin,
      enabled: spec.enabled ?? true,
      disabledBy: spec.enabled === false ? 'control' : undefined,
      consecutiveFailures: 0,
      createdAt: this.clock.now()
    }
    this.endpointsById.set(endpoint.id, endpoint)
    this.listen()
    return endpoint
  }

  /** Every endpoint, or those that receive one key's events (its own and every key's). */
  endpoints (key?: string): Endpoint[] {
    const all = [...this.endpointsById.values()]
    return key === undefined ? all : all.filter((endpoint) => endpoint.key === undefined || endpoint.key === key)
  }

  endpoint (id: string): Endpoint {
    const endpoint = this.endpointsById.get(id)
    if (endpoint === undefined) throw new ApiError('MOCK_NOT_FOUND', { detail: `no webhook endpoint ${id}` })
    return endpoint
  }

  updateEndpoint (id: string, changes: EndpointChanges): Endpoint {
    const endpoint = this.endpoint(id)
    const url = changes.url === undefined ? endpoint.url : checkUrl(changes.url)
    const secret = changes.secret === undefined ? endpoint.secret : checkSecret(changes.secret)
    const events = changes.events === undefined ? endpoint.events : checkEvents(changes.events ?? undefined)
    Object.assign(endpoint, { url, secret, events })
    return endpoint
  }

  /**
   * Enables (its failure count starts afresh) or disables an endpoint. A disabled endpoint gets no
   * new deliveries; its waiting ones fail when they fall due, unless it is enabled again first.
   */
  setEnabled (id: string, enabled: boolean): Endpoint {
    const endpoint = this.endpoint(id)
    endpoint.enabled = enabled
    endpoint.disabledBy = enabled ? undefined : 'control'
    if (enabled) endpoint.consecutiveFailures = 0
    return endpoint
  }

  /** Removes an endpoint; its waiting deliveries fail (their history stays). */
  removeEndpoint (id: string): void {
    this.endpoint(id)
    this.endpointsById.delete(id)
    for (const delivery of [...this.deliveriesById.values()]) {
      if (delivery.endpointId === id && delivery.status === 'pending') this.finish(delivery, 'failed', 'not sent: its endpoint was removed')
    }
    if (this.endpointsById.size === 0) this.stopListening()
  }

  // ---- deliveries ----

  /** Matching deliveries, newest first, at most `limit`. */
  deliveries (filter: DeliveryFilter = {}, limit = Infinity): Delivery[] {
    const found: Delivery[] = []
    const all = [...this.deliveriesById.values()]
    for (let i = all.length - 1; i >= 0 && found.length < limit; i--) {
      const delivery = all[i] as Tracked
      if ((filter.key === undefined || delivery.key === filter.key) &&
        (filter.endpointId === undefined || delivery.endpointId === filter.endpointId) &&
        (filter.event === undefined || delivery.event === filter.event) &&
        (filter.taskId === undefined || delivery.taskId === filter.taskId) &&
        (filter.status === undefined || delivery.status === filter.status)) found.push(delivery)
    }
    return found
  }

  delivery (id: string): Delivery {
    const delivery = this.deliveriesById.get(id)
    if (delivery === undefined) throw new ApiError('MOCK_NOT_FOUND', { detail: `no webhook delivery ${id} (finished deliveries beyond webhookHistorySize are forgotten)` })
    return delivery
  }

  /**
   * Sends a delivery once more, at once, with the same `Tripo-Webhook-Delivery` and body (a
   * dropped one for the first time). That attempt decides: delivered, or failed (no retries).
   */
  resend (id: string): Delivery {
    const delivery = this.delivery(id) as Tracked
    if (delivery.status === 'sending') throw refuse(`delivery ${id} is being sent`)
    const endpoint = this.endpointsById.get(delivery.endpointId)
    if (endpoint === undefined) throw refuse(`the endpoint of delivery ${id} was removed`)
    if (!endpoint.enabled) throw refuse(`endpoint ${endpoint.id} is disabled: enable it first`)
    this.finished.delete(id)
    this.unhold(delivery)
    this.schedule.delete(delivery)
    this.enqueue(delivery, 'resend')
    return delivery
  }

  /**
   * Makes an event now: a task event for a task (by default the one its final status gives), or
   * `balance.low` for a key; delivered like any other.
   */
  trigger (request: TriggerRequest): Delivery[] {
    const now = this.clock.now()
    const target = request.endpointId === undefined ? undefined : this.sendable(request.endpointId)
    let occurrence: Occurrence
    if (request.taskId !== undefined) {
      const task = this.emulator.findTask(request.taskId)
      if (task === undefined) throw new ApiError('MOCK_NOT_FOUND', { detail: `no task ${request.taskId}` })
      const status = taskState(task, now).status
      const event = request.event ?? (status === 'queued' || status === 'running' ? undefined : eventOf(task))
      if (event === undefined) throw refuse(`task ${task.id} is ${status}: name the event (task.completed or task.failed)`)
      if (event !== 'task.completed' && event !== 'task.failed') throw refuse(`event: a task's event is task.completed or task.failed, not ${JSON.stringify(event)}`)
      occurrence = this.taskOccurrence(task, event, now)
    } else {
      if (request.event !== 'balance.low') throw refuse(`give a taskId (for task.completed or task.failed), or event balance.low with a key; event: ${JSON.stringify(request.event ?? null)}`)
      if (request.key === undefined) throw refuse('balance.low is about a key: give it')
      const tenant = this.emulator.existingTenant(request.key)
      occurrence = this.balanceOccurrence(request.key, tenant === undefined ? this.emulator.settings.startingCredits : this.emulator.balanceOf(tenant).balance)
    }
    const deliveries = target === undefined ? this.emit(occurrence) : [this.deliver(target, occurrence)]
    this.kick()
    return deliveries
  }

  /** Sends a body of the caller's own, signed, to one endpoint (a string as it is, anything else as JSON). */
  sendCustom (endpointId: string, body: unknown, event?: string): Delivery {
    const endpoint = this.sendable(endpointId)
    if (body === undefined) throw refuse('body: give the body to send (JSON, or a string sent as it is)')
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    const fields = typeof body === 'object' && body !== null ? body as Record<string, unknown> : {}
    const named = typeof fields['type'] === 'string' ? fields['type'] : 'custom'
    const delivery = this.deliver(endpoint, {
      event: event ?? named,
      eventId: typeof fields['id'] === 'string' ? fields['id'] : '',
      key: endpoint.key,
      at: this.clock.now(),
      fixedBody: text
    })
    this.kick()
    return delivery
  }

  /** Resolves once nothing is being sent (no attempt in flight, none waiting for a slot). */
  idle (): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => { this.idleWaiters.push(resolve) })
  }

  stats (): WebhookStats {
    return {
      endpoints: this.endpointsById.size,
      deliveries: this.deliveriesById.size,
      waiting: this.deliveriesById.size - this.finished.size,
      inFlight: this.inFlight,
      scheduled: this.schedule.size,
      timerArmed: this.schedule.timerArmed,
      listening: this.unlisten.length > 0
    }
  }

  /**
   * Forgets one key (its endpoints, its deliveries, its balance.low state), or everything: the
   * control plane's endpoints go, the configured ones are as configured again.
   */
  reset (key?: string): void {
    if (key === undefined) {
      for (const delivery of [...this.deliveriesById.values()]) this.forget(delivery)
      this.lowKeys.clear()
      this.endpointsById.clear()
      this.stopListening()
      for (const endpoint of this.configured) this.endpointsById.set(endpoint.id, { ...endpoint })
      this.listen()
      return
    }
    for (const endpoint of [...this.endpointsById.values()]) if (endpoint.key === key) this.endpointsById.delete(endpoint.id)
    for (const delivery of [...this.deliveriesById.values()]) if (delivery.key === key) this.forget(delivery)
    this.lowKeys.delete(key)
    if (this.endpointsById.size === 0) this.stopListening()
  }

  // ---- snapshots ----

  /**
   * Everything, or one key's: its own endpoints (not every key's), the deliveries about it, its
   * balance.low state; copies. A delivery being sent is written as pending, due now.
   */
  exportState (key?: string): WebhookState {
    const now = this.clock.now()
    const mine = (owner: string | undefined) => key === undefined || owner === key
    const stored = ({ task: _task, ...delivery }: Tracked): StoredDelivery => ({
      ...delivery,
      attempts: [...delivery.attempts],
      ...(delivery.status === 'sending' ? { status: 'pending', nextAttemptAt: now } as const : {})
    })
    return {
      endpoints: [...this.endpointsById.values()].filter((endpoint) => mine(endpoint.key)).map((endpoint) => ({ ...endpoint })),
      deliveries: [...this.deliveriesById.values()].filter((delivery) => mine(delivery.key)).map(stored),
      balanceLow: [...this.lowKeys].filter(mine)
    }
  }

  /**
   * Replaces everything, or one key's, by a snapshot's state, checked by the caller (ids unique,
   * all of the key). Configured endpoints stay as configured; one the state has under the same id
   * and URL keeps its state there (enabled, failures in a row, createdAt). A waiting delivery whose
   * endpoint is not there fails, noted; the bounds hold as for new deliveries. The schedule is
   * filed again: waiting deliveries at their next attempt, unfinished tasks at their final instant
   * (the tasks must be imported first).
   */
  restoreState (state: WebhookState, key?: string): void {
    this.reset(key)
    const listening = this.unlisten.length > 0
    if (key === undefined) {
      const saved = new Map(state.endpoints.map((endpoint) => [endpoint.id, endpoint]))
      for (const endpoint of this.configured) {
        const before = saved.get(endpoint.id)
        if (before?.origin !== 'config' || before.url !== endpoint.url) continue
        const { enabled, disabledBy, consecutiveFailures, createdAt } = before
        this.endpointsById.set(endpoint.id, { ...endpoint, enabled, disabledBy, consecutiveFailures, createdAt })
      }
    }
    for (const endpoint of state.endpoints) if (endpoint.origin === 'control') this.endpointsById.set(endpoint.id, { ...endpoint })
    for (const owner of state.balanceLow) this.lowKeys.add(owner)
    for (const stored of state.deliveries) {
      const delivery: Tracked = { ...stored, attempts: [...stored.attempts], task: undefined }
      this.deliveriesById.set(delivery.id, delivery)
      if (delivery.status !== 'pending') {
        this.finished.set(delivery.id, delivery)
        continue
      }
      if (delivery.heldBack) this.hold(delivery)
      if (!this.endpointsById.has(delivery.endpointId)) this.finish(delivery, 'failed', 'not sent: its endpoint is not in this emulator')
      else if (!this.overflowed(delivery)) this.wait(delivery, delivery.nextAttemptAt as number)
    }
    this.trimHistory()
    if (listening && key !== undefined) this.fileTasks(key)
    this.listen()
    this.kick()
  }

  /** Stops: no more events or attempts (attempts in flight end as they will; nothing follows them). */
  close (): void {
    this.closed = true
    this.stopListening()
    this.ready.clear()
    this.resolveIdle()
  }

  // ---- events ----

  private listen (): void {
    if (this.unlisten.length > 0 || this.endpointsById.size === 0 || this.closed) return
    this.unlisten = [
      this.clock.onJump(() => { this.schedule.jumped() }),
      this.emulator.onTaskChange(this.onTaskChange),
      this.emulator.onBalanceChange(this.onBalanceChange)
    ]
    // Tasks created before the first endpoint still tell it when they finish.
    for (const key of this.emulator.tenantKeys()) this.fileTasks(key)
    this.schedule.arm()
  }

  /** Files a key's unfinished tasks at their final instants. */
  private fileTasks (key: string): void {
    const now = this.clock.now()
    for (const task of this.emulator.existingTenant(key)?.tasks.values() ?? []) {
      if (task.timeline.endAt > now && task.timeline.endAt !== Infinity) this.schedule.set(task, task.timeline.endAt)
    }
  }

  private stopListening (): void {
    for (const stop of this.unlisten) stop()
    this.unlisten = []
    // Only tasks are left: deliveries end with their endpoints (removed, or forgotten by a reset).
    this.schedule.clear()
  }

  private readonly onTaskChange = (task: TaskRecord): void => {
    // Created, or forced to a new final instant (a stalled task has none).
    if (task.timeline.endAt === Infinity) this.schedule.delete(task)
    else this.schedule.set(task, task.timeline.endAt)
    this.kick()
  }

  private readonly onBalanceChange = (tenant: Tenant): void => {
    const threshold = this.settings.balanceThreshold
    if (tenant.balance >= threshold) {
      this.lowKeys.delete(tenant.key)
      return
    }
    if (this.lowKeys.has(tenant.key)) return
    this.lowKeys.add(tenant.key)
    this.emit(this.balanceOccurrence(tenant.key, tenant.balance))
    this.kick()
  }

  private readonly due = (value: Scheduled, now: number): void => {
    if (isDelivery(value)) {
      this.unhold(value)
      this.enqueue(value, value.nextKind)
      return
    }
    // A task forgotten (reset) since it was filed tells no one.
    if (this.emulator.findTask(value.id) !== value) return
    this.emit(this.taskOccurrence(value, eventOf(value), value.timeline.endAt))
  }

  private taskOccurrence (task: TaskRecord, event: WebhookEvent, at: number): Occurrence {
    const eventId = `${task.id}:${event}`
    return { event, eventId, key: task.owner, taskId: task.id, taskType: task.type, at, task }
  }

  private balanceOccurrence (key: string, balance: number): Occurrence {
    const eventId = `${this.newId()}:balance.low`
    const at = this.clock.now()
    const data = { balance, threshold: this.settings.balanceThreshold }
    return { event: 'balance.low', eventId, key, at, fixedBody: eventBody(eventId, 'balance.low', at, data) }
  }

  /** One delivery per enabled endpoint that receives the event. */
  private emit (occurrence: Occurrence): Delivery[] {
    const deliveries: Delivery[] = []
    for (const endpoint of this.endpointsById.values()) {
      const forKey = endpoint.key === undefined || endpoint.key === occurrence.key
      const wanted = endpoint.events === undefined || (endpoint.events as readonly string[]).includes(occurrence.event)
      if (endpoint.enabled && forKey && wanted) deliveries.push(this.deliver(endpoint, occurrence))
    }
    return deliveries
  }

  private sendable (endpointId: string): Endpoint {
    const endpoint = this.endpoint(endpointId)
    if (!endpoint.enabled) throw refuse(`endpoint ${endpointId} is disabled: enable it first`)
    return endpoint
  }

  // ---- the outbox ----

  /** A new delivery of the event to the endpoint, as the scenarios have it go. */
  private deliver (endpoint: Endpoint, occurrence: Occurrence): Tracked {
    const decision = this.decide(endpoint, occurrence)
    const webhook = decision?.effect.webhook
    const delivery: Tracked = {
      id: this.newId(),
      endpointId: endpoint.id,
      key: occurrence.key,
      event: occurrence.event,
      eventId: occurrence.eventId,
      taskId: occurrence.taskId,
      createdAt: this.clock.now(),
      injectedBy: decision?.rule.id,
      duplicate: webhook?.duplicate === true,
      signatureFault: webhook?.signature,
      status: 'pending',
      nextAttemptAt: undefined,
      heldBack: false,
      body: undefined,
      attempts: [],
      note: undefined,
      eventAt: occurrence.at,
      fixedBody: occurrence.fixedBody,
      task: occurrence.task,
      nextKind: 'scheduled',
      scheduledAttempts: 0,
      duplicateSent: false
    }
    this.deliveriesById.set(delivery.id, delivery)
    if (this.overflowed(delivery)) return delivery
    if (webhook?.drop === true) {
      this.finish(delivery, 'dropped', `dropped by ${delivery.injectedBy as string}`)
      return delivery
    }
    let at = occurrence.at + (decision === undefined ? 0 : this.lateBy(decision, occurrence.key))
    if (webhook?.outOfOrderMs !== undefined) {
      delivery.heldBack = true
      at += webhook.outOfOrderMs
      this.hold(delivery)
    }
    this.wait(delivery, at)
    return delivery
  }

  /** Beyond `maxPending` waiting, a delivery fails at once; true when it did. */
  private overflowed (delivery: Tracked): boolean {
    if (this.deliveriesById.size - this.finished.size <= this.settings.maxPending) return false
    this.finish(delivery, 'failed', `not sent: the outbox is full (${this.settings.maxPending} deliveries waiting, webhookMaxPending)`)
    return true
  }

  private decide (endpoint: Endpoint, occurrence: Occurrence): Decision | undefined {
    let selection
    try {
      selection = this.scenarios.select(occurrence.key)
    } catch {
      // A key that names an unknown scenario: the API refuses its calls; its deliveries go as they should.
      return undefined
    }
    if (selection === undefined) return undefined
    return this.scenarios.decide(selection, {
      operation: 'deliverWebhook',
      key: occurrence.key,
      taskType: occurrence.taskType,
      headers: { 'tripo-webhook-event': occurrence.event, 'tripo-webhook-id': endpoint.id }
    })
  }

  /** Late: the latencies of every rule that fired add up, as they do for a request. */
  private lateBy (decision: Decision, key: string | undefined): number {
    const { effect, rule, delays } = decision
    let ms = effect.latency === undefined ? 0 : this.scenarios.sampleLatency(effect.latency, key, rule.id)
    for (const delay of delays) ms += this.scenarios.sampleLatency(delay.latency, key, delay.ruleId)
    return ms
  }

  private wait (delivery: Tracked, at: number): void {
    delivery.status = 'pending'
    delivery.nextAttemptAt = at
    this.schedule.set(delivery, at)
  }

  private enqueue (delivery: Tracked, kind: AttemptKind): void {
    delivery.status = 'sending'
    delivery.nextAttemptAt = undefined
    delivery.nextKind = kind
    this.ready.add(delivery)
    this.pump()
  }

  /** Starts attempts while slots are free. */
  private pump (): void {
    while (this.channel !== undefined && !this.closed && this.inFlight < this.settings.concurrency && this.ready.size > 0) {
      const delivery = this.ready.values().next().value as Tracked
      this.ready.delete(delivery)
      this.attempt(delivery, this.channel)
    }
    if (this.isIdle()) this.resolveIdle()
  }

  private attempt (delivery: Tracked, channel: WebhookChannel): void {
    const kind = delivery.nextKind
    const endpoint = this.endpointsById.get(delivery.endpointId)
    if (endpoint === undefined || !endpoint.enabled) {
      // The first send of a duplicated delivery went through: it stays delivered.
      if (kind === 'duplicate') this.finish(delivery, 'delivered')
      else this.finish(delivery, 'failed', `not sent: its endpoint ${endpoint === undefined ? 'was removed' : 'is disabled'}`)
      return
    }
    delivery.body ??= this.render(delivery, channel)
    if (delivery.body === undefined) {
      this.finish(delivery, 'failed', 'not sent: its task is gone')
      return
    }
    const timestamp = Math.floor(this.wallNow() / 1000) - (delivery.signatureFault === 'stale' ? STALE_SECONDS : 0)
    const signature = signatureHeader(timestamp, delivery.body, secretsOf(endpoint.secret, delivery.signatureFault))
    const at = this.clock.now()
    const url = endpoint.url
    this.inFlight += 1
    channel.transport.send({
      url,
      headers: {
        'content-type': 'application/json',
        'tripo-webhook-id': endpoint.id,
        'tripo-webhook-delivery': delivery.id,
        'tripo-webhook-event': delivery.event,
        'tripo-webhook-signature': signature
      },
      body: delivery.body
    }).then(
      (response) => { this.settle(delivery, { kind, at, url, signature }, response) },
      (error: unknown) => { this.settle(delivery, { kind, at, url, signature }, { latencyMs: 0, body: '', error: String(error) }) }
    )
  }

  private settle (delivery: Tracked, sent: Pick<Attempt, 'kind' | 'at' | 'url' | 'signature'>, response: WebhookResponse): void {
    this.inFlight -= 1
    const { kind } = sent
    // A reset may have forgotten it meanwhile, or the app be closing.
    if (!this.closed && this.deliveriesById.get(delivery.id) === delivery) {
      const attempt: Attempt = { ...sent, status: response.status, latencyMs: response.latencyMs, response: response.body, error: response.error }
      delivery.attempts.push(attempt)
      // Counted once it is over: an attempt in flight when a snapshot is taken is made again after its import.
      if (kind === 'scheduled') delivery.scheduledAttempts += 1
      for (const observer of this.observers) observer.attempted?.(delivery, attempt)
      const endpoint = this.endpointsById.get(delivery.endpointId)
      const ok = response.status !== undefined && response.status >= 200 && response.status < 300
      if (kind === 'duplicate') {
        this.finish(delivery, 'delivered')
      } else if (ok) {
        if (endpoint !== undefined) endpoint.consecutiveFailures = 0
        if (delivery.duplicate && !delivery.duplicateSent) {
          delivery.duplicateSent = true
          this.enqueue(delivery, 'duplicate')
        } else {
          this.finish(delivery, 'delivered')
        }
      } else if (kind === 'scheduled' && delivery.scheduledAttempts < this.settings.retrySchedule.length) {
        this.wait(delivery, this.clock.now() + (this.settings.retrySchedule[delivery.scheduledAttempts] as number))
      } else {
        this.finish(delivery, 'failed')
        if (kind === 'scheduled' && endpoint !== undefined) this.failedInARow(endpoint)
      }
      this.releaseHeld(delivery.endpointId)
      this.kick()
    }
    this.pump()
  }

  /**
   * The body: fixed at the event, or the task as GET /v3/tasks/{id} shows it now (its output URLs
   * signed now); undefined when the task of an imported delivery is no longer kept.
   */
  private render (delivery: Tracked, channel: WebhookChannel): string | undefined {
    if (delivery.fixedBody !== undefined) return delivery.fixedBody
    const task = delivery.task ?? this.emulator.findTask(delivery.taskId as string)
    return task === undefined ? undefined : eventBody(delivery.eventId, delivery.event, delivery.eventAt, channel.renderTask(task, this.clock.now()))
  }

  private failedInARow (endpoint: Endpoint): void {
    endpoint.consecutiveFailures += 1
    const limit = this.settings.disableAfterFailures
    if (limit === 0 || endpoint.consecutiveFailures < limit || !endpoint.enabled) return
    endpoint.enabled = false
    endpoint.disabledBy = 'failures'
    for (const observer of this.observers) observer.disabled?.(endpoint)
  }

  /** Another delivery to the endpoint has been sent: the ones held back go now. */
  private releaseHeld (endpointId: string): void {
    const held = this.heldBack.get(endpointId)
    if (held === undefined) return
    this.heldBack.delete(endpointId)
    for (const delivery of held) {
      delivery.heldBack = false
      this.schedule.delete(delivery)
      this.enqueue(delivery, 'scheduled')
    }
  }

  private hold (delivery: Tracked): void {
    const held = this.heldBack.get(delivery.endpointId) ?? new Set()
    held.add(delivery)
    this.heldBack.set(delivery.endpointId, held)
  }

  private unhold (delivery: Tracked): void {
    if (!delivery.heldBack) return
    delivery.heldBack = false
    const held = this.heldBack.get(delivery.endpointId) as Set<Tracked>
    held.delete(delivery)
    if (held.size === 0) this.heldBack.delete(delivery.endpointId)
  }

  private finish (delivery: Tracked, status: DeliveryStatus, note?: string): void {
    delivery.status = status
    delivery.nextAttemptAt = undefined
    if (note !== undefined) delivery.note = note
    this.unhold(delivery)
    this.schedule.delete(delivery)
    this.ready.delete(delivery)
    this.finished.delete(delivery.id)
    this.finished.set(delivery.id, delivery)
    this.trimHistory()
    for (const observer of this.observers) observer.finished?.(delivery)
  }

  /** Forgets the oldest finished deliveries beyond `historySize`. */
  private trimHistory (): void {
    while (this.finished.size > this.settings.historySize) {
      const oldest = this.finished.keys().next().value as string
      this.finished.delete(oldest)
      this.deliveriesById.delete(oldest)
    }
  }

  private forget (delivery: Tracked): void {
    this.unhold(delivery)
    this.schedule.delete(delivery)
    this.ready.delete(delivery)
    this.finished.delete(delivery.id)
    this.deliveriesById.delete(delivery.id)
  }

  /** Catches up with what fell due meanwhile (outside a clock jump), and times the timer. */
  private kick (): void {
    this.schedule.catchUp()
    this.schedule.arm()
  }

  private isIdle (): boolean {
    return this.inFlight === 0 && this.ready.size === 0
  }

  private resolveIdle (): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}

/** The body of an event (V3 reference §5): `{id, type, created_at, data}`. */
function eventBody (id: string, type: string, at: number, data: unknown): string {
  return JSON.stringify({ id, type, created_at: new Date(at).toISOString(), data })
}

/** The event of a task's final status. */
function eventOf (task: TaskRecord): WebhookEvent {
  return task.fate.status === 'success' ? 'task.completed' : 'task.failed'
}

/** The secrets the `v1` entries are made with: the endpoint's, or as the scenario's fault has it. */
function secretsOf (secret: string, fault: WebhookSignatureFault | undefined): string[] {
  switch (fault) {
    case 'bad': return [`${secret}_not_the_secret`]
    // During a rotation both secrets sign: first one the receiver does not know, then its own.
    case 'rotated': return [`${secret}_previous`, secret]
    default: return [secret]
  }
}

/**
 * The emulator's domain façade: the rules the real API applies when a task is created or read,
 * over the clock, the tenants and the task catalogue. No HTTP here: the API layer parses and
 * renders; this decides.
 */
import { v4 as uuidv4 } from 'uuid'
import type { Clock } from './clock.ts'
import { ContentPolicy, DEFAULT_BANNED_WORDS } from './content-policy.ts'
import { ApiError } from './errors.ts'
import { type FileRules, FileStore, V2_FILE_RULES } from './files.ts'
import { type Fate, planTimeline, SUCCESS } from './lifecycle.ts'
import { MinHeap } from './min-heap.ts'
import type { ApiSurface } from './operations.ts'
import type { Delivery } from './scenarios/model.ts'
import { type TaskRecord, taskState } from './task.ts'
import {
  CONCURRENCY_GROUPS, type ConcurrencyGroup, type Durations, type FileSlot, type OutputContext, type Params,
  type SourceFacts, type SourceReference, type TaskTypeDefinition, TASK_TYPES, V2_TASK_TYPES
} from './task-types/index.ts'
import { judgeVersion } from './task-types/versions.ts'
import { MAX_KEY_LENGTH, RATE_WINDOW_MS, Tenant } from './tenants.ts'

export interface EmulatorSettings {
  /** Credits a key starts with. */
  readonly startingCredits: number
  /** Keys accepted; empty: any key that starts with `tsk_`. */
  readonly allowedKeys: readonly string[]
  /** Highest `priority` a key is entitled to (above it: 2013). */
  readonly maxPriority: number
  /** Documented versions configured as retired: they answer 2015. */
  readonly retiredVersions: readonly string[]
  /** Content-policy word list (2008). */
  readonly bannedWords: readonly string[]
  /** Per concurrency group, max queued + running tasks per key. */
  readonly groupLimits: Readonly<Partial<Record<ConcurrencyGroup, number>>>
  /** Per task type, nominal queue and run durations (virtual ms). */
  readonly durations: Readonly<Record<string, Partial<Durations> | undefined>>
  /** Per key, API requests per second (0: no limit) → 429/1007. */
  readonly requestsPerSecond: number
  /** Per key, uploads per second (the docs: 10) → 429/1007. */
  readonly uploadsPerSecond: number
  /** Seconds sent in Retry-After when no slot will free on its own (only stalled tasks hold them). */
  readonly stalledRetryAfter: number
  /** How long a task stays readable after its final status (virtual ms). */
  readonly taskTtlMs: number
  /** How many tasks are kept; beyond it, the longest-final tasks are forgotten first. */
  readonly maxTasks: number
  /** Even over `maxTasks`, a task is kept this long after its final status (its output URLs' lifetime). */
  readonly taskMinKeepMs: number
  /** How long a key's tenant is kept after its last request, when it holds nothing (virtual ms). */
  readonly tenantTtlMs: number
  /** How many tenants are kept; beyond it, the least recently used that hold nothing are forgotten first. */
  readonly maxTenants: number
}

export const DEFAULT_SETTINGS: EmulatorSettings = {
  startingCredits: 10000,
  allowedKeys: [],
  maxPriority: 1,
  retiredVersions: [],
  bannedWords: DEFAULT_BANNED_WORDS,
  groupLimits: {},
  durations: {},
  requestsPerSecond: 0,
  uploadsPerSecond: 10,
  stalledRetryAfter: 60,
  taskTtlMs: 86_400_000,
  maxTasks: 100_000,
  taskMinKeepMs: 300_000,
  tenantTtlMs: 86_400_000,
  maxTenants: 10_000
}

/** A file reference after resolution: what outputs and checks need to know of it. */
export interface ResolvedFile {
  readonly kind: 'image' | 'model'
  readonly object?: { readonly bucket: string, readonly key: string }
  readonly ext?: string
}

/** Resolves the file references of a request (uploads, STS objects, URLs); throws ApiError. */
export interface FileResolver {
  resolve (tenant: Tenant, slot: FileSlot, rules?: FileRules): ResolvedFile
  /** Forgets one key's files (uploads, objects), or everyone's. */
  reset (key?: string): void
}

/** A task request as a surface hands it over: which task type, its canonical parameters, and how the surface shows it. */
export interface TaskRequest {
  /** The task type, with the rules of the surface that asks (V3 capabilities override some). */
  readonly definition: TaskTypeDefinition
  /** The parameters in the domain's vocabulary (V2's field names): what the rules read. */
  readonly params: Params
  /** The `input` echo, in the surface's vocabulary (V2: the parameters themselves). */
  readonly echo?: (params: Params) => Params
  readonly surface: ApiSurface
  readonly fileRules: FileRules
}

export interface CreateTaskOptions {
  /** The task's fate, when a scenario decided it; success otherwise. */
  readonly fate?: Fate
  /** The scenario rule that decided the fate, for the journal and logs. */
  readonly fateSource?: string
  /** How its outputs are delivered (URL lifetime, download faults), decided with the fate. */
  readonly delivery?: Delivery
}

export interface EmulatorDeps {
  readonly clock: Clock
  readonly settings?: Partial<EmulatorSettings>
  readonly files?: FileResolver
  readonly newId?: () => string
}

const NO_FILES: ReadonlyMap<string, ResolvedFile> = new Map()

/** How many tenants the bounds look at per tenant created. */
const TENANTS_LOOKED_AT = 4

export type RequestBucket = 'api' | 'upload'

/**
 * The limit V3's X-RateLimit-* headers report when no request rate is configured: a window no
 * client reaches, so that the headers are there (as on the real API) and never ask for a pause.
 */
export const NOMINAL_RATE_LIMIT = 1_000_000

/** A key's request window, as V3 reports it on every answer (X-RateLimit-*). */
export interface RateMeter {
  readonly limit: number
  readonly remaining: number
  /** Whole wall seconds until the window starts afresh. */
  readonly resetSeconds: number
  /** 429/1007 when the request is over the limit. */
  readonly refusal: ApiError | undefined
}

/** Why a task changed outside the clock: it was just created, or forced by the control plane. */
export type TaskChange = 'created' | 'forced'

export type TaskListener = (task: TaskRecord, change: TaskChange) => void

export type TenantListener = (tenant: Tenant) => void

export class Emulator {
  readonly clock: Clock
  readonly settings: EmulatorSettings
  /** By key, in the order they were filed (created, or re-filed once seen again): the bounds forget from the front. */
  private readonly tenants = new Map<string, Tenant>()
  /** Every live task by id, whatever its key: downloads and the control plane find tasks by id alone. */
  private readonly allTasks = new Map<string, TaskRecord>()
  /** Every task by the instant it reaches its final status: what retention forgets first. */
  private readonly byFinalInstant = new MinHeap<TaskRecord>()
  private readonly listeners = new Set<TaskListener>()
  private readonly forgetListeners = new Set<TenantListener>()
  private readonly evictListeners = new Set<TenantListener>()
  private readonly holders = new Set<(key: string) => boolean>()
  private readonly balanceListeners = new Set<TenantListener>()
  private readonly contentPolicy: ContentPolicy
  private readonly retired: ReadonlySet<string>
  private readonly allowed: ReadonlySet<string>
  private readonly files: FileResolver
  private readonly newId: () => string

  constructor (deps: EmulatorDeps) {
    this.clock = deps.clock
    this.settings = { ...DEFAULT_SETTINGS, ...deps.settings }
    this.contentPolicy = new ContentPolicy(this.settings.bannedWords)
    this.retired = new Set(this.settings.retiredVersions)
    this.allowed = new Set(this.settings.allowedKeys)
    this.files = deps.files ?? new FileStore(deps.clock)
    this.newId = deps.newId ?? uuidv4
  }

  /** The tenant of an API key (created on first use), or 1002 when the key is not accepted. */
  tenantOf (key: string): Tenant {
    const known = this.tenants.get(key)
    if (known !== undefined) {
      known.lastSeen = this.clock.now()
      known.seenSinceFiled = true
      return known
    }
    if (key.length > MAX_KEY_LENGTH) throw new ApiError('AUTHENTICATION_FAILED', { detail: `API key longer than ${MAX_KEY_LENGTH} characters` })
    if (!this.accepts(key)) throw new ApiError('AUTHENTICATION_FAILED', { detail: 'API key not accepted' })
    const now = this.clock.now()
    this.forgetIdleTenants(now)
    const tenant = new Tenant(key, this.settings.startingCredits, now)
    this.tenants.set(key, tenant)
    return tenant
  }

  /**
   * Tenant bounds, amortised over the creation of tenants: a tenant idle for `tenantTtlMs`, or the
   * least recently used beyond `maxTenants`, is forgotten, unless it holds something (a task kept,
   * or a watch of its own: see `holdTenantsWhile`). The map's order is the filing order; a tenant
   * seen since it was filed is filed again at the back (a second chance: least recently used
   * without reordering on every request), and so is one that holds something. A few tenants are
   * looked at per creation, so the work stays O(1) and the count bound is soft.
   */
  private forgetIdleTenants (now: number): void {
    const { tenantTtlMs, maxTenants } = this.settings
    let budget = TENANTS_LOOKED_AT
    for (const tenant of this.tenants.values()) {
      if (budget-- === 0) return
      const crowded = this.tenants.size >= maxTenants
      const idle = now - tenant.lastSeen >= tenantTtlMs
      if (tenant.seenSinceFiled || ((crowded || idle) && this.isHeld(tenant))) {
        this.refile(tenant)
      } else if (crowded || idle) {
        this.tenants.delete(tenant.key)
        tenant.evicted = true
        for (const listener of this.evictListeners) listener(tenant)
      } else {
        return
      }
    }
  }

  private refile (tenant: Tenant): void {
    this.tenants.delete(tenant.key)
    tenant.seenSinceFiled = false
    this.tenants.set(tenant.key, tenant)
  }

  private isHeld (tenant: Tenant): boolean {
    if (tenant.tasks.size > 0) return true
    for (const holds of this.holders) if (holds(tenant.key)) return true
    return false
  }

  /** Keeps a key's tenant while `holds(key)` says so (a watch of its tasks, say), whatever the bounds. */
  holdTenantsWhile (holds: (key: string) => boolean): void {
    this.holders.add(holds)
  }

  /** Hears every tenant the bounds forget (it held nothing): per-key state elsewhere can go too. */
  onTenantEvicted (listener: TenantListener): void {
    this.evictListeners.add(listener)
  }

  /**
   * The key's tenant as it is kept now. A request that waited (on a scenario's latency) may hold a
   * tenant forgotten meanwhile: what it creates goes to the key's tenant, which is the one it held
   * if the bounds forgot it (it held nothing, so nothing was lost), or a fresh one after a reset.
   */
  private live (tenant: Tenant): Tenant {
    const kept = this.tenants.get(tenant.key)
    if (kept !== undefined) return kept
    if (!tenant.evicted) return this.tenantOf(tenant.key)
    tenant.evicted = false
    this.tenants.set(tenant.key, tenant)
    return tenant
  }

  /** Whether the emulated API accepts this key (not too long; the configured keys, or any `tsk_` key). */
  accepts (key: string): boolean {
    if (key.length > MAX_KEY_LENGTH) return false
    return this.allowed.size > 0 ? this.allowed.has(key) : key.startsWith('tsk_') && key.length > 4
  }

  /** Counts a request against the key's rate limit; throws 429/1007 with a true Retry-After. */
  countRequest (tenant: Tenant, bucket: RequestBucket): void {
    const limit = bucket === 'upload' ? this.settings.uploadsPerSecond : this.settings.requestsPerSecond
    if (limit <= 0) return
    const waitMs = tenant.hit(bucket, this.clock.now(), limit)
    if (waitMs !== undefined) {
      throw new ApiError('RATE_LIMITED', { retryAfter: this.retryAfterSeconds(waitMs), detail: `more than ${limit} ${bucket} requests per second` })
    }
  }

  /** V3: counts every request, limited or not, so that its answers can report the window (X-RateLimit-*). */
  meter (tenant: Tenant): RateMeter {
    const now = this.clock.now()
    const configured = this.settings.requestsPerSecond
    const limit = configured > 0 ? configured : NOMINAL_RATE_LIMIT
    const waitMs = tenant.hit('api', now, limit)
    const window = tenant.windowOf('api')
    const resetSeconds = this.retryAfterSeconds(window.start + RATE_WINDOW_MS - now)
    return {
      limit,
      remaining: Math.max(0, limit - window.count),
      resetSeconds,
      refusal: waitMs === undefined ? undefined : new ApiError('RATE_LIMITED', { retryAfter: resetSeconds, detail: `more than ${limit} api requests per second` })
    }
  }

  /**
   * Creates a task from validated V2 parameters (schema defaults applied, `type` included).
   */
  createTask (tenant: Tenant, params: Params, options: CreateTaskOptions = {}): TaskRecord {
    const definition = V2_TASK_TYPES.get(String(params['type']))
    if (definition === undefined) throw new ApiError('UNSUPPORTED_TASK_TYPE')
    const { type: _type, ...input } = params
    return this.create(tenant, { definition, params: input, surface: 'v2', fileRules: V2_FILE_RULES }, options)
  }

  /**
   * Creates a task from a surface's request. Applies the real API's rules in order: version,
   * cross-field rules, priority, prompt, files, source task, concurrency, credit.
   */
  create (requester: Tenant, request: TaskRequest, options: CreateTaskOptions = {}): TaskRecord {
    const tenant = this.live(requester)
    const { definition, params } = request
    this.checkVersion(definition, params)
    definition.normalize?.(params)
    this.checkPriority(params)
    this.contentPolicy.check(definition.prompts?.(params) ?? [])
    const files = this.resolveFiles(tenant, definition, params, request.fileRules)
    const source = this.checkSources(tenant, definition.sources?.(params) ?? [])

    const now = this.clock.now()
    const group = definition.group(params)
    const active = tenant.activeIn(group, now)
    const limit = this.settings.groupLimits[group] ?? CONCURRENCY_GROUPS[group].limit
    if (active >= limit) {
      const freesAt = tenant.earliestEndIn(group)
      const retryAfter = freesAt === Infinity ? this.settings.stalledRetryAfter : this.retryAfterSeconds(freesAt - now)
      throw new ApiError('GENERATION_LIMIT', { retryAfter, detail: `${active} of ${limit} ${group} tasks queued or running` })
    }
    const cost = definition.cost(params)
    if (cost > tenant.balance) throw new ApiError('INSUFFICIENT_CREDIT', { detail: `costs ${cost}, balance ${tenant.balance}` })

    const outputContext: OutputContext = source === undefined ? { files } : { files, source }
    const durations = this.durationsOf(definition)
    const fate = options.fate ?? SUCCESS
    const task: TaskRecord = {
      id: this.newId(),
      owner: tenant.key,
      type: definition.type,
      surface: request.surface,
      params,
      input: request.echo?.(params) ?? params,
      prompt: definition.topLevelPrompt?.(params),
      timeline: planTimeline(now, fate.queuedMs ?? durations.queuedMs, fate.runningMs ?? durations.runningMs, fate),
      fate,
      cost,
      group,
      queuePosition: active,
      output: definition.outputs(params, outputContext),
      fateSource: options.fateSource,
      delivery: options.delivery,
      settled: false
    }
    tenant.admit(task)
    this.allTasks.set(task.id, task)
    this.byFinalInstant.push(task.timeline.endAt, task)
    this.forgetOldTasks(now)
    this.changed(task, 'created')
    for (const listener of this.balanceListeners) listener(tenant)
    return task
  }

  /** How many tasks are kept now (queued, running, and final ones within their retention). */
  get taskCount (): number {
    return this.allTasks.size
  }

  /**
   * Retention, amortised over task creation: a final task is forgotten `taskTtlMs` after its final
   * status, or earlier when more than `maxTasks` exist (longest-final first, never before
   * `taskMinKeepMs`). Queued and running tasks are never forgotten.
   */
  private forgetOldTasks (now: number): void {
    const { taskTtlMs, maxTasks, taskMinKeepMs } = this.settings
    while (this.byFinalInstant.size > 0) {
      const finalAt = this.byFinalInstant.peekKey() as number
      const task = this.byFinalInstant.peek() as TaskRecord
      // Entries of forced or forgotten tasks are stale; drop them as they surface.
      if (task.timeline.endAt !== finalAt || this.allTasks.get(task.id) !== task) {
        this.byFinalInstant.pop()
        continue
      }
      const expired = finalAt + taskTtlMs <= now
      const crowded = this.allTasks.size > maxTasks && finalAt + taskMinKeepMs <= now
      if (!expired && !crowded) return
      this.byFinalInstant.pop()
      this.allTasks.delete(task.id)
      this.tenants.get(task.owner)?.tasks.delete(task.id)
    }
  }

  /** A task of this key, or 2001 (also for another key's task, as the real API answers). */
  getTask (tenant: Tenant, taskId: string): TaskRecord {
    const task = tenant.tasks.get(taskId)
    if (task === undefined) throw new ApiError('TASK_NOT_FOUND', { detail: `no task ${taskId} for this key` })
    return task
  }

  /** Of these ids, the key's tasks, and the ids it has no task for (another key's included). */
  tasksOf (tenant: Tenant, taskIds: readonly string[]): { found: TaskRecord[], missed: string[] } {
    const found: TaskRecord[] = []
    const missed: string[] = []
    for (const id of taskIds) {
      const task = tenant.tasks.get(id)
      if (task === undefined) missed.push(id)
      else found.push(task)
    }
    return { found, missed }
  }

  /**
   * A page of the key's tasks, newest first (V3's usage). The key's tasks are kept in creation
   * order, so the page is a range of positions: one pass up to it, holding only the page.
   */
  usageOf (tenant: Tenant, limit: number, offset: number): TaskRecord[] {
    const end = tenant.tasks.size - offset
    const start = end - limit
    const page: TaskRecord[] = []
    let position = 0
    for (const task of tenant.tasks.values()) {
      if (position >= end) break
      if (position >= start) page.push(task)
      position += 1
    }
    return page.reverse()
  }

  balanceOf (tenant: Tenant): { balance: number, frozen: number } {
    tenant.catchUp(this.clock.now())
    return { balance: tenant.balance, frozen: tenant.frozen }
  }

  /** Sets a key's credits (control plane). Frozen credits stay attached to their tasks. */
  setCredits (tenant: Tenant, credits: { balance?: number, frozen?: number }): { balance: number, frozen: number } {
    tenant.catchUp(this.clock.now())
    if (credits.balance !== undefined) tenant.balance = credits.balance
    if (credits.frozen !== undefined) tenant.frozen = credits.frozen
    for (const listener of this.balanceListeners) listener(tenant)
    return { balance: tenant.balance, frozen: tenant.frozen }
  }

  /** A task by id alone, whatever its key (downloads, control plane). */
  findTask (taskId: string): TaskRecord | undefined {
    return this.allTasks.get(taskId)
  }

  /** Every task kept, whatever its key, oldest first. */
  tasks (): IterableIterator<TaskRecord> {
    return this.allTasks.values()
  }

  /** The tenants that exist so far (a key gets one on its first accepted request). */
  tenantKeys (): string[] {
    return [...this.tenants.keys()]
  }

  /** The tenant of a key if it exists, without creating one or checking the key. */
  existingTenant (key: string): Tenant | undefined {
    return this.tenants.get(key)
  }

  /**
   * Moves a task on now (control plane): to its next state (queued → running → its fated final
   * status), or straight to the given fate. A final task does not move.
   */
  forceTask (task: TaskRecord, fate?: Fate): boolean {
    const now = this.clock.now()
    const { timeline } = task
    if (now >= timeline.endAt) return false
    if (fate !== undefined) {
      task.fate = fate
      timeline.startAt = Math.min(timeline.startAt, now)
      timeline.endAt = now
    } else if (now < timeline.startAt) {
      const running = timeline.endAt - timeline.startAt
      timeline.startAt = now
      timeline.endAt = Number.isFinite(running) ? now + running : now + timeline.runningMs
    } else {
      timeline.endAt = now
    }
    this.tenants.get(task.owner)?.rescheduled(task)
    this.byFinalInstant.push(timeline.endAt, task)
    this.changed(task, 'forced')
    return true
  }

  /** Forgets one key's tenant (tasks, credits, limits, files), or every tenant. */
  reset (key?: string): void {
    this.files.reset(key)
    for (const tenant of this.forgetTenants(key)) this.forgotten(tenant)
  }

  /**
   * Replaces every tenant, or one key's, by those of a snapshot (tasks included, their indexes
   * rebuilt): the tenants they replace are forgotten as by `reset` (their watchers are told), and
   * retention then runs as after a creation. Files are not touched: they are a state part of their own.
   */
  replaceTenants (tenants: readonly Tenant[], key?: string): void {
    const replaced = this.forgetTenants(key)
    for (const tenant of tenants) {
      this.tenants.set(tenant.key, tenant)
      for (const task of tenant.tasks.values()) {
        this.allTasks.set(task.id, task)
        this.byFinalInstant.push(task.timeline.endAt, task)
      }
    }
    for (const tenant of replaced) this.forgotten(tenant)
    this.forgetOldTasks(this.clock.now())
  }

  /** Removes one key's tenant, or every tenant, with their tasks; returns them. */
  private forgetTenants (key?: string): Tenant[] {
    if (key === undefined) {
      const forgotten = [...this.tenants.values()]
      this.tenants.clear()
      this.allTasks.clear()
      this.byFinalInstant.clear()
      return forgotten
    }
    const tenant = this.tenants.get(key)
    if (tenant === undefined) return []
    for (const id of tenant.tasks.keys()) this.allTasks.delete(id)
    this.tenants.delete(key)
    return [tenant]
  }

  private forgotten (tenant: Tenant): void {
    for (const listener of this.forgetListeners) listener(tenant)
  }

  /** Hears every tenant that `reset` forgets, with its tasks (their watchers are closed). */
  onTenantForgotten (listener: TenantListener): () => void {
    this.forgetListeners.add(listener)
    return () => { this.forgetListeners.delete(listener) }
  }

  /**
   * Hears a key's balance go down (a task created: its cost frozen) or be set (control plane);
   * refunds of failed tasks settle lazily, on the next read. The balance is settled when it is called.
   */
  onBalanceChange (listener: TenantListener): () => void {
    this.balanceListeners.add(listener)
    return () => { this.balanceListeners.delete(listener) }
  }

  /** Hears every task that is created or moved by force (watchers re-plan on it). */
  onTaskChange (listener: TaskListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  private changed (task: TaskRecord, change: TaskChange): void {
    for (const listener of this.listeners) listener(task, change)
  }

  durationsOf (definition: TaskTypeDefinition): Durations {
    return { ...definition.durations, ...this.settings.durations[definition.type] }
  }

  /** Whole wall-clock seconds a client must wait for `virtualMs` to pass, at least 1. */
  retryAfterSeconds (virtualMs: number): number {
    return Math.max(1, Math.ceil(this.clock.wallDuration(virtualMs) / 1000))
  }

  private checkVersion (definition: TaskTypeDefinition, params: Params): void {
    const version = params['model_version']
    if (definition.versions === undefined || typeof version !== 'string') return
    const verdict = judgeVersion(definition.versions, version, this.retired)
    if (verdict === 'deprecated') throw new ApiError('DEPRECATED_VERSION', { detail: `model_version ${version}` })
    if (verdict === 'invalid') throw new ApiError('INVALID_VERSION', { detail: `model_version ${version} is not one of ${definition.type}'s` })
  }

  private checkPriority (params: Params): void {
    const priority = params['priority']
    if (typeof priority === 'number' && (priority < 1 || priority > this.settings.maxPriority)) {
      throw new ApiError('INVALID_PRIORITY', { detail: `priority ${priority}; this key is entitled to 1-${this.settings.maxPriority}` })
    }
  }

  private resolveFiles (tenant: Tenant, definition: TaskTypeDefinition, params: Params, rules: FileRules): ReadonlyMap<string, ResolvedFile> {
    // Most tasks (text_to_model, say) take no file: they share one empty map.
    if (definition.files === undefined) return NO_FILES
    const resolved = new Map<string, ResolvedFile>()
    for (const slot of definition.files(params)) {
      const taskId = slot.ref.task_id
      resolved.set(slot.field, taskId === undefined ? this.files.resolve(tenant, slot, rules) : this.fileOfTask(tenant, slot, taskId))
    }
    return resolved
  }

  /**
   * An image taken from a task's output (a V3 `input` naming a task where an image goes; a model
   * source is a source task, checked by `checkSources`): the task must have succeeded with one.
   */
  private fileOfTask (tenant: Tenant, slot: FileSlot, taskId: string): ResolvedFile {
    const source = tenant.tasks.get(taskId)
    if (source === undefined) throw new ApiError('TASK_NOT_FOUND', { detail: `${slot.field}: task ${taskId} not found for this key` })
    const holds = Object.values(source.output).some((value) => 'views' in value || ('asset' in value && /\.(?:png|webp)$/.test(value.asset)))
    if (!holds) throw new ApiError('UNSUPPORTED_ORIGINAL_TASK_TYPE', { detail: `${slot.field}: a ${source.type} task has no image output` })
    const status = taskState(source, this.clock.now()).status
    if (status !== 'success') throw new ApiError('ORIGINAL_NOT_SUCCESS', { detail: `${slot.field}: task ${taskId} is ${status}` })
    return { kind: slot.accepts }
  }

  /** The rules of reference §3.2 on a referenced task: same key, allowed type, succeeded. */
  private checkSources (tenant: Tenant, references: readonly SourceReference[]): SourceFacts | undefined {
    let facts: SourceFacts | undefined
    const now = this.clock.now()
    for (const reference of references) {
      const source = tenant.tasks.get(reference.taskId)
      if (source === undefined) throw new ApiError('TASK_NOT_FOUND', { detail: `${reference.field} ${reference.taskId} not found for this key` })
      const definition = TASK_TYPES.get(source.type) as TaskTypeDefinition
      const allowed = reference.allowedTypes === 'model' ? definition.hasModelOutput : reference.allowedTypes.includes(source.type)
      if (!allowed) throw new ApiError(reference.wrongType ?? 'UNSUPPORTED_ORIGINAL_TASK_TYPE', { detail: `${reference.field} is a ${source.type} task` })
      facts = { type: source.type, input: source.params, output: source.output }
      const refused = reference.refuse?.(facts)
      if (refused !== undefined) throw new ApiError('UNSUPPORTED_ORIGINAL_TASK_TYPE', { detail: `${reference.field}: ${refused}` })
      if (taskState(source, now).status !== 'success') {
        throw new ApiError(reference.notSuccess ?? 'ORIGINAL_NOT_SUCCESS', { detail: `${reference.field} ${reference.taskId} is ${taskState(source, now).status}` })
      }
    }
    return facts
  }
}

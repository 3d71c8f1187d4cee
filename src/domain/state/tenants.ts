/**
 * The `tenants` section of a snapshot: every API key's credits and tasks, each task with all its
 * record holds (type, surface, parameters, input echo, timeline, fate, cost, group, queue position,
 * output template, the rule that decided it, delivery, settled). Importing rebuilds what is derived
 * from them: the emulator's task index and retention heap, each tenant's concurrency slots.
 */
import { Type, type Static } from 'typebox'
import { ASSETS } from '../assets.ts'
import type { Emulator } from '../emulator.ts'
import { ERROR_CATALOGUE } from '../errors.ts'
import { FINAL_STATUSES, type Fate } from '../lifecycle.ts'
import { API_SURFACES } from '../operations.ts'
import { type Delivery, type DeliveryEffect, FAULT_TYPES, type Latency } from '../scenarios/model.ts'
import type { TaskRecord } from '../task.ts'
import { CONCURRENCY_GROUPS, type ConcurrencyGroup, type OutputTemplate, TASK_TYPE_NAMES } from '../task-types/index.ts'
import { StringEnum } from '../task-types/schema-kit.ts'
import { maskKey, Tenant } from '../tenants.ts'
import { type Counts, fieldPath, type ImportContext, shifted, StateError, type StatePart, written } from './registry.ts'

const Instant = Type.Number({ description: 'an instant (epoch ms, on the snapshot\'s clock)' })
/** An instant that may never come (a stalled task): null. */
const MaybeNever = Type.Unsafe<number | null>({ type: ['number', 'null'], description: 'an instant (epoch ms, on the snapshot\'s clock), or null for never' })
const Duration = Type.Number({ minimum: 0, description: 'a duration in ms' })
const Strict = { additionalProperties: false } as const

const FateSchema = Type.Object({
  status: StringEnum(FINAL_STATUSES),
  errorCode: Type.Optional(Type.Integer()),
  atProgress: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  afterMs: Type.Optional(Duration),
  stall: Type.Optional(StringEnum(['queued', 'running'] as const)),
  queuedMs: Type.Optional(Duration),
  runningMs: Type.Optional(Duration)
}, { ...Strict, description: 'The final status decided at creation, and when it happens' })

const LatencySchema = Type.Union([
  Type.Object({ kind: Type.Literal('fixed'), ms: Duration }, Strict),
  Type.Object({ kind: Type.Literal('uniform'), low: Duration, high: Duration }, Strict),
  Type.Object({ kind: Type.Literal('lognormal'), median: Duration, sigma: Type.Number({ exclusiveMinimum: 0 }), max: Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: 0, description: 'a duration in ms, or null for no cap' }) }, Strict)
])

const FaultSchema = Type.Object({
  type: StringEnum(FAULT_TYPES),
  bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  chunks: Type.Integer({ minimum: 1 }),
  durationMs: Duration,
  afterMs: Duration
}, Strict)

const DeliverySchema = Type.Object({
  urlExpiresIn: Type.Optional(Type.Integer({ minimum: 0, description: 'Output URL lifetime in seconds' })),
  downloads: Type.Optional(Type.Object({
    error: Type.Optional(StringEnum(Object.keys(ERROR_CATALOGUE) as Array<keyof typeof ERROR_CATALOGUE>)),
    latency: Type.Optional(LatencySchema),
    fault: Type.Optional(FaultSchema)
  }, Strict))
}, { ...Strict, description: 'How its outputs are delivered, when a scenario decided it' })

const AssetSchema = StringEnum(Object.keys(ASSETS) as Array<keyof typeof ASSETS>)

const OutputValueSchema = Type.Union([
  Type.Object({ asset: AssetSchema }, Strict),
  Type.Object({ object: Type.Object({ bucket: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, Strict), ext: Type.String({ minLength: 1 }) }, Strict),
  Type.Object({ views: Type.Record(Type.String(), AssetSchema) }, Strict),
  Type.Object({ value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]) }, Strict)
])

const Params = Type.Record(Type.String(), Type.Unknown())

const TaskSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  type: StringEnum(TASK_TYPE_NAMES),
  surface: StringEnum(API_SURFACES),
  params: { ...Params, description: 'The parameters in the domain\'s vocabulary (V2\'s names), defaults applied' },
  input: Type.Optional({ ...Params, description: 'The input echo as the creating surface shows it; absent when it is params itself (V2 tasks)' }),
  prompt: Type.Optional(Type.String({ description: 'The legacy top-level prompt' })),
  timeline: Type.Object({
    createdAt: Instant,
    queuedMs: Duration,
    runningMs: Duration,
    startAt: { ...MaybeNever, title: 'When it leaves the queue' },
    endAt: { ...MaybeNever, title: 'When it reaches its final status' }
  }, Strict),
  fate: FateSchema,
  cost: Type.Number({ minimum: 0, description: 'Credits frozen at creation' }),
  group: StringEnum(Object.keys(CONCURRENCY_GROUPS) as ConcurrencyGroup[]),
  queuePosition: Type.Integer({ minimum: 0 }),
  output: Type.Record(Type.String(), OutputValueSchema, { description: 'What output holds once it succeeds' }),
  fateSource: Type.Optional(Type.String({ description: 'The scenario rule that decided its fate' })),
  delivery: Type.Optional(DeliverySchema),
  settled: Type.Boolean({ description: 'Its credits and concurrency slot were settled at its final status' })
}, Strict)

const TenantSchema = Type.Object({
  key: Type.String({ minLength: 1, description: 'The API key' }),
  balance: Type.Number(),
  frozen: Type.Number(),
  tasks: Type.Array(TaskSchema, { description: 'Oldest first' })
}, Strict)

export const TenantsSectionSchema = Type.Array(TenantSchema, { description: 'Every API key the emulator has seen, with its credits and tasks' })

type TaskSnapshot = Static<typeof TaskSchema>
type TenantSnapshot = Static<typeof TenantSchema>
type LatencySnapshot = Static<typeof LatencySchema>
type DeliverySnapshot = Static<typeof DeliverySchema>

export function tenantsPart (emulator: Emulator): StatePart<TenantSnapshot[]> {
  return {
    name: 'tenants',
    schema: TenantsSectionSchema,
    export (key) {
      const keys = key === undefined ? emulator.tenantKeys() : [key]
      return keys.flatMap((each) => {
        const tenant = emulator.existingTenant(each)
        if (tenant === undefined) return []
        // Settles what is due first, as a balance read does: the snapshot shows credits as they are.
        const { balance, frozen } = emulator.balanceOf(tenant)
        return [{ key: each, balance, frozen, tasks: [...tenant.tasks.values()].map(writeTask) }]
      })
    },
    prepare (section = [], context) {
      const keys = new Set<string>()
      const ids = new Set<string>()
      // Imported is seen: the tenant bounds count a tenant's idleness from now.
      const now = emulator.clock.now()
      const tenants = section.map((snapshot, index) => {
        const at = (...parts: Array<string | number>) => fieldPath('tenants', index, ...parts)
        if (context.key !== undefined && snapshot.key !== context.key) throw new StateError(`${at('key')}: not the snapshot's key`)
        if (keys.has(snapshot.key)) throw new StateError(`${at('key')}: ${maskKey(snapshot.key)} appears twice`)
        if (!emulator.accepts(snapshot.key)) throw new StateError(`${at('key')}: this emulator does not accept the key ${maskKey(snapshot.key)} (see apiKeys)`)
        keys.add(snapshot.key)
        const tenant = new Tenant(snapshot.key, snapshot.balance, now)
        tenant.frozen = snapshot.frozen
        snapshot.tasks.forEach((task, position) => {
          const where = (...parts: Array<string | number>) => at('tasks', position, ...parts)
          if (ids.has(task.id)) throw new StateError(`${where('id')}: task ${task.id} appears twice`)
          const owner = context.key === undefined ? undefined : emulator.findTask(task.id)?.owner
          if (owner !== undefined && owner !== context.key) throw new StateError(`${where('id')}: task ${task.id} belongs to another key`)
          ids.add(task.id)
          tenant.restore(readTask(task, snapshot.key, where, context))
        })
        return tenant
      })
      return (): Counts => {
        emulator.replaceTenants(tenants, context.key)
        if (context.key === undefined) return { tenants: emulator.tenantKeys().length, tasks: emulator.taskCount }
        const tenant = emulator.existingTenant(context.key)
        return { tenants: tenant === undefined ? 0 : 1, tasks: tenant?.tasks.size ?? 0 }
      }
    }
  }
}

function writeTask (task: TaskRecord): TaskSnapshot {
  const { timeline } = task
  return {
    id: task.id,
    type: task.type,
    surface: task.surface,
    params: task.params,
    ...(task.input === task.params ? {} : { input: task.input }),
    ...(task.prompt === undefined ? {} : { prompt: task.prompt }),
    timeline: { createdAt: timeline.createdAt, queuedMs: timeline.queuedMs, runningMs: timeline.runningMs, startAt: written(timeline.startAt), endAt: written(timeline.endAt) },
    fate: task.fate as TaskSnapshot['fate'],
    cost: task.cost,
    group: task.group,
    queuePosition: task.queuePosition,
    output: task.output as TaskSnapshot['output'],
    ...(task.fateSource === undefined ? {} : { fateSource: task.fateSource }),
    ...(task.delivery === undefined ? {} : { delivery: writeDelivery(task.delivery) }),
    settled: task.settled
  }
}

function readTask (task: TaskSnapshot, owner: string, where: (...parts: Array<string | number>) => string, context: ImportContext): TaskRecord {
  const { createdAt, queuedMs, runningMs } = task.timeline
  const startAt = shifted(task.timeline.startAt, context)
  const endAt = shifted(task.timeline.endAt, context)
  if (startAt === Infinity && endAt !== Infinity) throw new StateError(`${where('timeline', 'endAt')}: a task that never leaves the queue never ends (null)`)
  if (!(createdAt + context.shift <= startAt && startAt <= endAt)) throw new StateError(`${where('timeline')}: createdAt <= startAt <= endAt does not hold`)
  if (task.settled && task.timeline.endAt !== null && task.timeline.endAt > context.then) throw new StateError(`${where('settled')}: the task is not final at the snapshot's time, so it cannot be settled`)
  if (task.settled && task.timeline.endAt === null) throw new StateError(`${where('settled')}: a task that never ends cannot be settled`)
  const params = task.params
  return {
    id: task.id,
    owner,
    type: task.type,
    surface: task.surface,
    params,
    input: task.input ?? params,
    prompt: task.prompt,
    timeline: { createdAt: createdAt + context.shift, queuedMs, runningMs, startAt, endAt },
    fate: task.fate as Fate,
    cost: task.cost,
    group: task.group,
    queuePosition: task.queuePosition,
    output: task.output as OutputTemplate,
    fateSource: task.fateSource,
    delivery: task.delivery === undefined ? undefined : readDelivery(task.delivery),
    settled: task.settled
  }
}

// Latencies and faults in their compiled form; a log-normal latency without a cap has max Infinity (null here).

function writeDelivery (delivery: Delivery): DeliverySnapshot {
  const { downloads } = delivery
  if (downloads === undefined) return delivery as DeliverySnapshot
  const { latency, ...rest } = downloads
  return { ...delivery, downloads: { ...rest, ...(latency === undefined ? {} : { latency: writeLatency(latency) }) } as DeliverySnapshot['downloads'] }
}

function readDelivery (delivery: DeliverySnapshot): Delivery {
  const { downloads } = delivery
  if (downloads === undefined) return delivery as Delivery
  const { latency, ...rest } = downloads
  const read: DeliveryEffect = { ...rest as Omit<DeliveryEffect, 'latency'>, ...(latency === undefined ? {} : { latency: readLatency(latency) }) }
  return { ...delivery as Delivery, downloads: read }
}

function writeLatency (latency: Latency): LatencySnapshot {
  return latency.kind === 'lognormal' ? { ...latency, max: written(latency.max) } : latency
}

function readLatency (latency: LatencySnapshot): Latency {
  return latency.kind === 'lognormal' ? { ...latency, max: latency.max ?? Infinity } : latency
}

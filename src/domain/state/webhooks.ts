/**
 * The `webhooks` section of a snapshot: the endpoints (with their secrets, events, whether and why
 * they are disabled, their failures in a row), the deliveries with their bodies and attempts (the
 * waiting ones with their next attempt; the finished ones within `webhookHistorySize`), and the
 * keys whose balance.low has gone. Importing files the waiting deliveries on the clock schedule
 * again, so they are attempted when the clock reaches them.
 *
 * Configured endpoints (the `webhooks` setting) are the configuration's: an import keeps them as
 * configured (URL, secret, events). Their ids are stable (`ep_config_1`...), so the snapshot's
 * deliveries to them are still theirs, and one the snapshot has with the same id and URL keeps
 * its state (enabled or not, failures in a row). A configured endpoint the configuration no
 * longer has is dropped, and its waiting deliveries fail.
 */
import { Type, type Static } from 'typebox'
import type { ApiError } from '../errors.ts'
import { WEBHOOK_SIGNATURE_FAULTS, type WebhookSignatureFault } from '../scenarios/model.ts'
import { StringEnum } from '../task-types/schema-kit.ts'
import { checkSecret, checkUrl, configuredEndpointId } from '../webhooks/endpoints.ts'
import { type Attempt, type Endpoint, type StoredDelivery, WEBHOOK_EVENTS, type WebhookEvent } from '../webhooks/model.ts'
import type { WebhookService } from '../webhooks/service.ts'
import { type Counts, fieldPath, type ImportContext, StateError, type StatePart } from './registry.ts'

const Strict = { additionalProperties: false } as const
const Instant = Type.Number({ description: 'an instant (epoch ms, on the snapshot\'s clock)' })
const Text = (description: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], description })
const ATTEMPT_KINDS = ['scheduled', 'resend', 'duplicate'] as const

const EndpointSchema = Type.Object({
  id: Type.String({ minLength: 1, description: 'The Tripo-Webhook-Id header of its deliveries' }),
  url: Type.String(),
  secret: Type.String({ description: 'The whole whsec_... string' }),
  events: Type.Unsafe<WebhookEvent[] | null>({ type: ['array', 'null'], items: StringEnum(WEBHOOK_EVENTS), minItems: 1, uniqueItems: true, description: 'the events it receives, or null for all' }),
  key: Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, description: 'the API key whose events it receives, or null for every key\'s' }),
  origin: StringEnum(['config', 'control'] as const, { description: 'config: the webhooks setting (kept as configured on import); control: added through the control plane' }),
  enabled: Type.Boolean(),
  disabledBy: Type.Unsafe<'control' | 'failures' | null>({ type: ['string', 'null'], enum: ['control', 'failures', null], description: 'Why it is disabled; null when it is enabled' }),
  consecutiveFailures: Type.Integer({ minimum: 0, description: 'Failed deliveries in a row' }),
  createdAt: Instant
}, Strict)

const AttemptSchema = Type.Object({
  kind: StringEnum(ATTEMPT_KINDS),
  at: Instant,
  url: Type.String(),
  signature: Type.String({ description: 'The Tripo-Webhook-Signature sent' }),
  status: Type.Unsafe<number | null>({ type: ['integer', 'null'], description: 'the HTTP status of the answer, or null when none came' }),
  latencyMs: Type.Number({ minimum: 0 }),
  response: Type.String({ description: 'The start of the answer\'s body' }),
  error: Text('what went wrong when no answer came, or null')
}, Strict)

const DeliverySchema = Type.Object({
  id: Type.String({ minLength: 1, description: 'The Tripo-Webhook-Delivery header' }),
  endpointId: Type.String({ minLength: 1 }),
  key: Text('the API key it is about, or null (a custom body to an endpoint of every key)'),
  event: Type.String({ minLength: 1, description: 'The Tripo-Webhook-Event header' }),
  eventId: Type.String({ description: 'The body\'s id' }),
  taskId: Text('the task of a task event, or null'),
  createdAt: Instant,
  eventAt: { ...Instant, description: 'The instant of its event (the body\'s created_at)' },
  injectedBy: Text('the scenario rule that decided how it goes, or null'),
  duplicate: Type.Boolean(),
  signatureFault: Type.Unsafe<WebhookSignatureFault | null>({ type: ['string', 'null'], enum: [...WEBHOOK_SIGNATURE_FAULTS, null], description: 'How a scenario has it signed wrongly, or null' }),
  status: StringEnum(['pending', 'delivered', 'failed', 'dropped'] as const, { description: 'pending (one being sent is written as pending, due at once), or how it ended' }),
  nextAttemptAt: Type.Unsafe<number | null>({ type: ['number', 'null'], description: 'an instant (epoch ms, on the snapshot\'s clock) when it is pending, or null once it is finished' }),
  nextKind: StringEnum(ATTEMPT_KINDS, { description: 'The kind of the attempt it waits for' }),
  scheduledAttempts: Type.Integer({ minimum: 0, description: 'Attempts of the retry schedule made so far' }),
  duplicateSent: Type.Boolean(),
  heldBack: Type.Boolean({ description: 'Out of order: held back until the next delivery to its endpoint has been sent' }),
  body: Text('the body sent, or null before the first attempt'),
  fixedBody: Text('the body it will send, fixed at its event (balance.low, a custom body), while none was sent; null otherwise (a task event\'s body is rendered from its task when it first leaves)'),
  attempts: Type.Array(AttemptSchema),
  note: Text('why it ended without an attempt, or null')
}, Strict)

export const WebhooksSectionSchema = Type.Object({
  endpoints: Type.Array(EndpointSchema, { description: 'Webhook endpoints, configured ones first' }),
  deliveries: Type.Array(DeliverySchema, { description: 'Deliveries, oldest first: the waiting ones and the finished ones kept' }),
  balanceLow: Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true, description: 'Keys whose balance.low has gone and whose balance has not been back at or above the threshold since' })
}, { ...Strict, description: 'Webhook endpoints, deliveries (waiting and finished) and balance.low state' })

type WebhooksSnapshot = Static<typeof WebhooksSectionSchema>
type EndpointSnapshot = Static<typeof EndpointSchema>
type DeliverySnapshot = Static<typeof DeliverySchema>

export function webhooksPart (webhooks: WebhookService): StatePart<WebhooksSnapshot> {
  return {
    name: 'webhooks',
    schema: WebhooksSectionSchema,
    export (key) {
      const state = webhooks.exportState(key)
      return { endpoints: state.endpoints.map(writeEndpoint), deliveries: state.deliveries.map(writeDelivery), balanceLow: [...state.balanceLow] }
    },
    prepare (section = { endpoints: [], deliveries: [], balanceLow: [] }, context) {
      const { key } = context
      // In a one-key import, ids another key (or every key) holds now are taken.
      const others = <T extends { readonly id: string, readonly key: string | undefined }>(held: readonly T[]) =>
        new Set(key === undefined ? [] : held.filter((each) => each.key !== key).map((each) => each.id))
      const configured = new Set(webhooks.settings.endpoints.map((_spec, index) => configuredEndpointId(index)))
      const endpoints = checkedEndpoints(section.endpoints, context, others(webhooks.endpoints()), configured)
      const deliveries = checkedDeliveries(section.deliveries, context, others(webhooks.deliveries()))
      section.balanceLow.forEach((owner, index) => {
        if (key !== undefined && owner !== key) throw new StateError(`${fieldPath('webhooks', 'balanceLow', index)}: not the snapshot's key`)
      })
      return (): Counts => {
        webhooks.restoreState({ endpoints, deliveries, balanceLow: section.balanceLow }, key)
        const held = webhooks.exportState(key)
        return { endpoints: held.endpoints.length, deliveries: held.deliveries.length, waiting: held.deliveries.filter((delivery) => delivery.status === 'pending').length }
      }
    }
  }
}

function checkedEndpoints (written: readonly EndpointSnapshot[], context: ImportContext, taken: ReadonlySet<string>, configured: ReadonlySet<string>): Endpoint[] {
  const seen = new Set<string>()
  return written.map((endpoint, index) => {
    const at = (field: string) => fieldPath('webhooks', 'endpoints', index, field)
    const { id } = endpoint
    if (context.key !== undefined && endpoint.key !== context.key) throw new StateError(`${at('key')}: not the snapshot's key`)
    if (seen.has(id)) throw new StateError(`${at('id')}: ${id} appears twice`)
    if (taken.has(id)) throw new StateError(`${at('id')}: ${id} is an endpoint of another key, or of every key`)
    if (endpoint.origin === 'config' && endpoint.key !== null) throw new StateError(`${at('key')}: a configured endpoint is for every key (null)`)
    if (endpoint.origin === 'control' && configured.has(id)) throw new StateError(`${at('id')}: ${id} is the id of a configured endpoint`)
    if (endpoint.enabled !== (endpoint.disabledBy === null)) throw new StateError(`${at('disabledBy')}: null exactly when the endpoint is enabled`)
    seen.add(id)
    return {
      id,
      url: checked(() => checkUrl(endpoint.url), at('url')),
      secret: checked(() => checkSecret(endpoint.secret), at('secret')),
      events: endpoint.events ?? undefined,
      key: endpoint.key ?? undefined,
      origin: endpoint.origin,
      enabled: endpoint.enabled,
      disabledBy: endpoint.disabledBy ?? undefined,
      consecutiveFailures: endpoint.consecutiveFailures,
      createdAt: endpoint.createdAt + context.shift
    }
  })
}

function checkedDeliveries (written: readonly DeliverySnapshot[], context: ImportContext, taken: ReadonlySet<string>): StoredDelivery[] {
  const seen = new Set<string>()
  const { shift } = context
  return written.map((delivery, index) => {
    const at = (field: string) => fieldPath('webhooks', 'deliveries', index, field)
    const { id } = delivery
    if (context.key !== undefined && delivery.key !== context.key) throw new StateError(`${at('key')}: not the snapshot's key`)
    if (seen.has(id)) throw new StateError(`${at('id')}: ${id} appears twice`)
    if (taken.has(id)) throw new StateError(`${at('id')}: ${id} belongs to another key`)
    const pending = delivery.status === 'pending'
    if (pending !== (delivery.nextAttemptAt !== null)) throw new StateError(`${at('nextAttemptAt')}: an instant when the delivery is pending, null once it is finished`)
    if (delivery.heldBack && !pending) throw new StateError(`${at('heldBack')}: only a pending delivery is held back`)
    if (delivery.body === null && delivery.fixedBody === null && delivery.taskId === null) throw new StateError(`${at('body')}: neither a body nor a task to render one from`)
    seen.add(id)
    return {
      ...delivery,
      key: delivery.key ?? undefined,
      taskId: delivery.taskId ?? undefined,
      createdAt: delivery.createdAt + shift,
      eventAt: delivery.eventAt + shift,
      injectedBy: delivery.injectedBy ?? undefined,
      signatureFault: delivery.signatureFault ?? undefined,
      nextAttemptAt: pending ? (delivery.nextAttemptAt as number) + shift : undefined,
      body: delivery.body ?? undefined,
      fixedBody: delivery.fixedBody ?? undefined,
      attempts: delivery.attempts.map((attempt): Attempt => ({ ...attempt, at: attempt.at + shift, status: attempt.status ?? undefined, error: attempt.error ?? undefined })),
      note: delivery.note ?? undefined
    }
  })
}

/** A check of the endpoints' own, its refusal ("url: ...") named from the snapshot's root. */
function checked (check: () => string, at: string): string {
  try {
    return check()
  } catch (error) {
    throw new StateError(`${at}: ${((error as ApiError).detail as string).replace(/^\w+: /, '')}`)
  }
}

function writeEndpoint (endpoint: Endpoint): EndpointSnapshot {
  return {
    id: endpoint.id,
    url: endpoint.url,
    secret: endpoint.secret,
    events: endpoint.events === undefined ? null : [...endpoint.events],
    key: endpoint.key ?? null,
    origin: endpoint.origin,
    enabled: endpoint.enabled,
    disabledBy: endpoint.disabledBy ?? null,
    consecutiveFailures: endpoint.consecutiveFailures,
    createdAt: endpoint.createdAt
  }
}

function writeDelivery (delivery: StoredDelivery): DeliverySnapshot {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    key: delivery.key ?? null,
    event: delivery.event,
    eventId: delivery.eventId,
    taskId: delivery.taskId ?? null,
    createdAt: delivery.createdAt,
    eventAt: delivery.eventAt,
    injectedBy: delivery.injectedBy ?? null,
    duplicate: delivery.duplicate,
    signatureFault: delivery.signatureFault ?? null,
    status: delivery.status as DeliverySnapshot['status'],
    nextAttemptAt: delivery.nextAttemptAt ?? null,
    nextKind: delivery.nextKind,
    scheduledAttempts: delivery.scheduledAttempts,
    duplicateSent: delivery.duplicateSent,
    heldBack: delivery.heldBack,
    body: delivery.body ?? null,
    fixedBody: delivery.body === undefined ? delivery.fixedBody ?? null : null,
    attempts: delivery.attempts.map((attempt) => ({ ...attempt, status: attempt.status ?? null, error: attempt.error ?? null })),
    note: delivery.note ?? null
  }
}

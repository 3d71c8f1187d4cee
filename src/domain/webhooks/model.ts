/**
 * Webhooks as the emulator keeps them: endpoints, the events they receive, deliveries and their
 * attempts, and what the domain needs from the outside to send one (a transport) and to render a
 * task (the V3 task object).
 */
import type { WebhookSignatureFault } from '../scenarios/model.ts'
import type { TaskRecord } from '../task.ts'

/** The events of V3 reference §5 (`task.failed` also for a cancelled task). */
export const WEBHOOK_EVENTS = ['task.completed', 'task.failed', 'balance.low'] as const
export type WebhookEvent = typeof WEBHOOK_EVENTS[number]

export type EndpointOrigin = 'config' | 'control'

export interface Endpoint {
  /** `ep_...`: the `Tripo-Webhook-Id` header of its deliveries. */
  readonly id: string
  url: string
  /** The whole `whsec_...` string: the HMAC key. */
  secret: string
  /** The events it receives; undefined: all. */
  events: readonly WebhookEvent[] | undefined
  /** The API key whose events it receives; undefined: every key's. */
  readonly key: string | undefined
  /** From the `webhooks` setting (a global reset restores it) or added through the control plane. */
  readonly origin: EndpointOrigin
  enabled: boolean
  /** Why it is disabled: by hand, or after `disableAfterFailures` failed deliveries in a row. */
  disabledBy: 'control' | 'failures' | undefined
  /** Deliveries in a row that failed (every attempt used); a delivered one sets it back to 0. */
  consecutiveFailures: number
  readonly createdAt: number
}

/** What a new endpoint is made of (configuration or control plane). */
export interface EndpointSpec {
  readonly url: string
  /** The whole `whsec_...` string; generated when not given. */
  readonly secret?: string | undefined
  /** The events it receives; all when not given. */
  readonly events?: readonly string[] | undefined
  readonly enabled?: boolean | undefined
}

/**
 * - `pending`: waiting for its next attempt (or held back: out of order);
 * - `sending`: an attempt is in flight, or waits for a free slot;
 * - `delivered`: a 2xx came back in time; `failed`: every attempt used (or it could not be sent);
 * - `dropped`: a scenario decided it is never sent.
 */
export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'dropped'] as const
export type DeliveryStatus = typeof DELIVERY_STATUSES[number]

/** scheduled: an attempt of the retry schedule; resend: asked for; duplicate: a scenario's second send. */
export type AttemptKind = 'scheduled' | 'resend' | 'duplicate'

export interface Attempt {
  readonly kind: AttemptKind
  /** When it was sent, on the emulator's clock. */
  readonly at: number
  /** Where it went (the endpoint's URL then). */
  readonly url: string
  /** The `Tripo-Webhook-Signature` sent. */
  readonly signature: string
  /** The HTTP status of the answer; undefined when none came (refused, timed out). */
  readonly status: number | undefined
  /** Wall milliseconds until the answer (or the failure). */
  readonly latencyMs: number
  /** The start of the answer's body. */
  readonly response: string
  /** What went wrong, when no answer came. */
  readonly error: string | undefined
}

export interface Delivery {
  /** The `Tripo-Webhook-Delivery` header: the same on every attempt. */
  readonly id: string
  readonly endpointId: string
  /** The API key the event is about (a task's owner, a balance's key); for a custom body, the endpoint's. */
  readonly key: string | undefined
  /** The `Tripo-Webhook-Event` header (a custom body may name its own). */
  readonly event: string
  /** The body's `id` (`<task id>:<event>`). */
  readonly eventId: string
  readonly taskId: string | undefined
  readonly createdAt: number
  /** The scenario rule that decided how it goes, if one did. */
  readonly injectedBy: string | undefined
  readonly duplicate: boolean
  readonly signatureFault: WebhookSignatureFault | undefined
  status: DeliveryStatus
  /** When its next attempt is due (pending). */
  nextAttemptAt: number | undefined
  /** Out of order: held back until the next delivery to its endpoint has been sent. */
  heldBack: boolean
  /** The body, rendered at the first attempt and sent as is on every later one. */
  body: string | undefined
  readonly attempts: Attempt[]
  /** Why it ended without an attempt (its endpoint disabled or removed, the outbox full) or was dropped. */
  note: string | undefined
}

/**
 * A delivery with all its next attempt needs, as a snapshot keeps it. A delivery being sent is
 * kept as pending, due at once: the attempt in flight is made again (a receiver deduplicates on
 * `Tripo-Webhook-Delivery`).
 */
export interface StoredDelivery extends Delivery {
  /** The instant of its event: the body's `created_at`. */
  readonly eventAt: number
  /** The body as fixed when the event happened (balance.low, a custom body); undefined for a task's event, rendered from the task when it first leaves. */
  readonly fixedBody: string | undefined
  /** The kind of the attempt it waits for. */
  nextKind: AttemptKind
  /** Attempts of the retry schedule made so far. */
  scheduledAttempts: number
  /** Whether a scenario's duplicate has been sent. */
  duplicateSent: boolean
}

/** The webhook service's state (everything, or one key's): what a snapshot holds of it. */
export interface WebhookState {
  readonly endpoints: readonly Endpoint[]
  /** In the order they were made. */
  readonly deliveries: readonly StoredDelivery[]
  /** Keys whose balance.low has gone and whose balance has not been back at or above the threshold since. */
  readonly balanceLow: readonly string[]
}

/** One POST. */
export interface WebhookRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface WebhookResponse {
  readonly status?: number | undefined
  readonly latencyMs: number
  /** The start of the body. */
  readonly body: string
  /** Set when no answer came: refused, reset, timed out. */
  readonly error?: string | undefined
}

/** Sends one request; resolves with what came back (or what went wrong), never rejects. */
export interface WebhookTransport {
  send (request: WebhookRequest): Promise<WebhookResponse>
}

/** How deliveries leave: the transport, and the V3 task object of a task at `now` (what `GET /v3/tasks/{id}` answers). */
export interface WebhookChannel {
  readonly transport: WebhookTransport
  readonly renderTask: (task: TaskRecord, now: number) => unknown
}

/** Told of every attempt, finished delivery and endpoint disabled (journal, metrics, logs). Must not throw. */
export interface WebhookObserver {
  attempted? (delivery: Delivery, attempt: Attempt): void
  finished? (delivery: Delivery): void
  disabled? (endpoint: Endpoint): void
}

export interface WebhookSettings {
  /** Endpoints for every key, from the configuration. */
  readonly endpoints: readonly EndpointSpec[]
  /** Emulator milliseconds before each attempt: the first after the event, each next after a failure. */
  readonly retrySchedule: readonly number[]
  /** Failed deliveries in a row after which an endpoint is disabled; 0: never. */
  readonly disableAfterFailures: number
  /** `balance.low` when a key's balance goes below this. */
  readonly balanceThreshold: number
  /** Finished deliveries kept (oldest forgotten first). */
  readonly historySize: number
  /** Deliveries waiting (pending or sending) at most; beyond it a new one fails at once. */
  readonly maxPending: number
  /** Requests in flight at most. */
  readonly concurrency: number
}

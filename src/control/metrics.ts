/**
 * Prometheus metrics (`GET /__mock/metrics`), on a registry of the app's own, so several apps can
 * live in one process. The request path only bumps plain counters in maps (prom-client's `inc`
 * hashes its labels on every call); they are copied into prom-client when scraped, and task counts
 * are computed then.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Counter, Gauge, Registry } from 'prom-client'
import { Type } from 'typebox'
import type { Emulator } from '../domain/emulator.ts'
import type { JournalEntry } from '../domain/journal.ts'
import { TASK_STATUSES, type TaskStatus } from '../domain/lifecycle.ts'
import { taskState } from '../domain/task.ts'
import type { Tenant } from '../domain/tenants.ts'
import type { Services } from '../services.ts'
import { CONTROL_ERRORS, errorResponses } from './common.ts'

export const METRIC_PREFIX = 'tripo_mock_'

export class Metrics {
  readonly registry = new Registry()
  /** operation → HTTP status → requests */
  private readonly requests = new Map<string, Map<number, number>>()
  /** scenario → injected outcomes */
  private readonly injected = new Map<string, number>()
  /** operation → early retries */
  private readonly earlyRetries = new Map<string, number>()
  /** event and status → webhook delivery attempts (status: the HTTP status, or none) */
  private readonly webhookAttempts = new Map<string, number>()
  /** event and status → finished webhook deliveries (delivered, failed, dropped) */
  private readonly webhookDeliveries = new Map<string, number>()

  constructor (emulator: Emulator) {
    const { requests, injected, earlyRetries, webhookAttempts, webhookDeliveries } = this
    const registers = [this.registry]
    // eslint-disable-next-line no-new
    new Counter({
      name: `${METRIC_PREFIX}requests_total`,
      help: 'Requests to the emulated API, by operation and HTTP status',
      labelNames: ['operation', 'status'] as const,
      registers,
      collect () {
        this.reset()
        for (const [operation, byStatus] of requests) {
          for (const [status, count] of byStatus) this.inc({ operation, status: String(status) }, count)
        }
      }
    })
    // eslint-disable-next-line no-new
    new Counter({
      name: `${METRIC_PREFIX}injected_faults_total`,
      help: 'Requests whose outcome a scenario rule decided, by scenario',
      labelNames: ['scenario'] as const,
      registers,
      collect () {
        this.reset()
        for (const [scenario, count] of injected) this.inc({ scenario }, count)
      }
    })
    // eslint-disable-next-line no-new
    new Counter({
      name: `${METRIC_PREFIX}early_retries_total`,
      help: 'Requests retried before the Retry-After of a 429 ran out, by operation',
      labelNames: ['operation'] as const,
      registers,
      collect () {
        this.reset()
        for (const [operation, count] of earlyRetries) this.inc({ operation }, count)
      }
    })
    for (const [name, help, counts] of [
      ['webhook_attempts_total', 'Webhook delivery attempts, by event and HTTP status (none: no answer came)', webhookAttempts],
      ['webhook_deliveries_total', 'Finished webhook deliveries, by event and final status (delivered, failed, dropped)', webhookDeliveries]
    ] as const) {
      // eslint-disable-next-line no-new
      new Counter({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames: ['event', 'status'] as const,
        registers,
        collect () {
          this.reset()
          for (const [labels, count] of counts) {
            const [event, status] = labels.split('\u0000') as [string, string]
            this.inc({ event, status }, count)
          }
        }
      })
    }
    // eslint-disable-next-line no-new
    new Gauge({
      name: `${METRIC_PREFIX}tasks`,
      help: 'Tasks kept by the emulator, by their status now',
      labelNames: ['status'] as const,
      registers,
      collect () {
        const counts = new Map<TaskStatus, number>(TASK_STATUSES.map((status) => [status, 0]))
        const now = emulator.clock.now()
        for (const key of emulator.tenantKeys()) {
          // tenantKeys() lists only existing tenants.
          for (const task of (emulator.existingTenant(key) as Tenant).tasks.values()) {
            const status = taskState(task, now).status
            counts.set(status, (counts.get(status) as number) + 1)
          }
        }
        for (const [status, count] of counts) this.set({ status }, count)
      }
    })
  }

  /** Counts one journalled request (called on every request: maps only, no allocation once warm). */
  observe (entry: JournalEntry): void {
    let byStatus = this.requests.get(entry.operation)
    if (byStatus === undefined) {
      byStatus = new Map()
      this.requests.set(entry.operation, byStatus)
    }
    byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1)
    if (entry.injectedBy !== null) {
      const slash = entry.injectedBy.indexOf('/')
      const scenario = slash === -1 ? entry.injectedBy : entry.injectedBy.slice(0, slash)
      this.injected.set(scenario, (this.injected.get(scenario) ?? 0) + 1)
    }
    if (entry.earlyRetry) this.earlyRetries.set(entry.operation, (this.earlyRetries.get(entry.operation) ?? 0) + 1)
  }

  /** Counts one webhook delivery attempt (status: the HTTP status, undefined when no answer came). */
  observeWebhookAttempt (event: string, status: number | undefined): void {
    const labels = `${event}\u0000${status ?? 'none'}`
    this.webhookAttempts.set(labels, (this.webhookAttempts.get(labels) ?? 0) + 1)
  }

  /** Counts one finished webhook delivery. */
  observeWebhookDelivery (event: string, status: string): void {
    const labels = `${event}\u0000${status}`
    this.webhookDeliveries.set(labels, (this.webhookDeliveries.get(labels) ?? 0) + 1)
  }

  /** Zeroes the counters (a global reset: the emulator as if just started). */
  reset (): void {
    this.requests.clear()
    this.injected.clear()
    this.earlyRetries.clear()
    this.webhookAttempts.clear()
    this.webhookDeliveries.clear()
  }

  text (): Promise<string> {
    return this.registry.metrics()
  }
}

export const metricsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { metrics } = services
  app.get('/metrics', {
    config: { surface: 'control' },
    schema: {
      operationId: 'getMetrics',
      tags: ['metrics'],
      summary: 'Metrics in Prometheus text format',
      description: `${METRIC_PREFIX}requests_total{operation,status}, ${METRIC_PREFIX}injected_faults_total{scenario}, ` +
        `${METRIC_PREFIX}early_retries_total{operation}, ${METRIC_PREFIX}webhook_attempts_total{event,status}, ` +
        `${METRIC_PREFIX}webhook_deliveries_total{event,status}, ${METRIC_PREFIX}tasks{status}. A global reset zeroes the counters.`,
      response: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: Type.String() } } },
        ...errorResponses(...CONTROL_ERRORS)
      }
    }
  }, async (_request, reply) => {
    const text = await metrics.text()
    return reply.type(metrics.registry.contentType).send(text)
  })
}

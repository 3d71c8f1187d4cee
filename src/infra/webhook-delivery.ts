/**
 * Connects the webhook service to the network: attempts go out over HTTP (`webhook-transport.ts`),
 * off the request path, and an event's `data` is the V3 task object exactly as `GET /v3/tasks/{id}`
 * renders it. No request is there to take a host from, so its output URLs are under `publicUrl`,
 * or else the address the server listens on (127.0.0.1 for a wildcard address). Failed deliveries
 * and disabled endpoints are logged; closing the app stops the sending and aborts what is in flight.
 */
import type { FastifyInstance } from 'fastify'
import { linkMaker } from '../api/links.ts'
import { toV3Task } from '../api/v3/task-wire.ts'
import { taskState } from '../domain/task.ts'
import type { WebhookTransport } from '../domain/webhooks/model.ts'
import type { Services } from '../services.ts'
import { localUrl } from './listen-url.ts'
import { PACKAGE_NAME, PACKAGE_VERSION } from './package-info.ts'
import { createWebhookTransport } from './webhook-transport.ts'

/** `transport`: how attempts leave instead of HTTP (a reproducible demo state). */
export function installWebhookDelivery (app: FastifyInstance, services: Services, transport?: WebhookTransport): void {
  const { config, webhooks } = services
  const http = createWebhookTransport({ timeoutMs: config.webhookTimeoutMs, userAgent: `${PACKAGE_NAME}/${PACKAGE_VERSION}` })
  const baseUrl = (): string => {
    if (config.publicUrl !== '') return config.publicUrl.replace(/\/+$/, '')
    // Not listening (tests that only inject): the configured port.
    const address = app.server.address()
    return localUrl(config.host, typeof address === 'object' && address !== null ? address.port : config.port)
  }
  webhooks.connect({
    transport: transport ?? http,
    renderTask: (task, now) => toV3Task(task, taskState(task, now), linkMaker(services, baseUrl()))
  })
  webhooks.observe({
    finished (delivery) {
      // Its attempts, answers and errors are in the control plane (/__mock/webhooks/deliveries/<id>).
      if (delivery.status === 'failed') app.log.info({ deliveryId: delivery.id, endpointId: delivery.endpointId, event: delivery.event, attempts: delivery.attempts.length }, 'webhook delivery failed')
    },
    disabled (endpoint) {
      app.log.warn({ endpointId: endpoint.id, url: endpoint.url, failures: endpoint.consecutiveFailures }, 'webhook endpoint disabled after failed deliveries in a row')
    }
  })
  app.addHook('onClose', (_instance, done) => {
    webhooks.close()
    http.close()
    done()
  })
}

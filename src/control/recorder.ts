/**
 * Records every request to the emulated API (downloads and uploads included) in the journal and
 * the metrics, once its answer has gone out, and hands it to the event stream when someone
 * listens; and every webhook delivery attempt, as a request the emulator made.
 *
 * Installed at the root before any route: an `onRoute` hook gives each route that names an
 * operation its own `onSend` and `onResponse` hooks, with the operation and surface bound, so the
 * hot path reads no route config; a root `onResponse` hook records the requests that matched no
 * route (`unknown`), except under the control plane's prefix. Routes without an operation (the
 * docs, the control plane) are never recorded.
 *
 * Per request: one entry object, a few map lookups, and what the dashboard's detail pane shows
 * kept by reference (the URL, the request's headers, its JSON text as the body parser read it,
 * the answer's text): nothing is copied but the answer's headers (Fastify hands them out as one
 * small object) and a body longer than `journalBodyLimit` (cut short once, so the journal never
 * holds more than that per body). With nobody on the event stream, handing over is one test.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler, onSendHookHandler } from 'fastify'
import { bearerKey } from '../api/auth.ts'
import { type JournalEntry, type JournalOperation, type JournalSurface, keptText } from '../domain/journal.ts'
import type { Tenant } from '../domain/tenants.ts'
import type { Services } from '../services.ts'
import { appendRouteHook } from '../infra/route-hooks.ts'
import { CONTROL_PREFIX } from './common.ts'
import { apiSurfaceOfPath } from '../infra/error-handler.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as text, as it arrived (the journal keeps it). */
    rawBody: string | null
    /** The answer's body when it was text (the journal keeps it). */
    sentBody: string | null
  }
}

export function installRecorder (app: FastifyInstance, services: Services): void {
  const { clock, journal, metrics, retryAfter, events, config } = services
  const bodyLimit = config.journalBodyLimit

  recordWebhookAttempts(services)
  app.decorateRequest('rawBody', null)
  app.decorateRequest('sentBody', null)
  // Fastify's own JSON parser (with the poisoning rules it was given, or its defaults), with the text it parsed kept on the request.
  type Poisoning = NonNullable<typeof app.initialConfig.onProtoPoisoning>
  const parseJson = app.getDefaultJsonParser(app.initialConfig.onProtoPoisoning as Poisoning, app.initialConfig.onConstructorPoisoning as Poisoning)
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string
    parseJson(request, body as string, done)
  })

  const record = (request: FastifyRequest, reply: FastifyReply, operation: JournalOperation, surface: JournalSurface | null): void => {
    const now = clock.now()
    // The surface that authenticated the request leaves its tenant; otherwise the key it presented (401s, 404s).
    const key = (request.tenant as Tenant | null | undefined)?.key ?? bearerKey(request)
    const status = reply.statusCode
    const earlyRetry = key !== undefined && retryAfter.isEarly(key, operation, now)
    if (status === 429 && key !== undefined) {
      const seconds = Number(reply.getHeader('retry-after'))
      // Retry-After is in wall seconds; the window is kept on the emulator's clock.
      if (seconds > 0) retryAfter.open(key, operation, now + clock.virtualDuration(seconds * 1000))
    }
    const url = request.url
    const query = url.indexOf('?')
    const entry: JournalEntry = {
      time: now,
      traceId: request.id,
      key,
      operation,
      surface,
      method: request.method,
      path: query === -1 ? url : url.slice(0, query),
      status,
      code: request.errorCode,
      injectedBy: request.injectedBy,
      latencyMs: reply.elapsedTime,
      earlyRetry,
      url,
      requestHeaders: request.headers,
      requestBody: keptText(request.rawBody, bodyLimit),
      responseHeaders: reply.getHeaders(),
      responseBody: keptText(request.sentBody, bodyLimit)
    }
    journal.record(entry)
    metrics.observe(entry)
    if (events.listening) events.request(entry)
  }

  const keepSentBody: onSendHookHandler = (request, _reply, payload, done) => {
    if (typeof payload === 'string') request.sentBody = payload
    done(null, payload)
  }

  app.addHook('onRoute', (route) => {
    const operation = route.config?.operation
    if (operation === undefined) return
    const surface = route.config?.surface as JournalSurface
    const recordOperation: onResponseHookHandler = (request, reply, done) => {
      record(request, reply, operation, surface)
      done()
    }
    appendRouteHook(route, 'onSend', keepSentBody)
    appendRouteHook(route, 'onResponse', recordOperation)
  })

  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404 && !request.url.startsWith(CONTROL_PREFIX)) record(request, reply, 'unknown', apiSurfaceOfPath(request.url) ?? null)
    done()
  })
}

/** Each webhook attempt, journalled like a request (operation deliverWebhook, surface webhooks), streamed and counted. */
function recordWebhookAttempts ({ webhooks, journal, events, metrics, config }: Services): void {
  webhooks.observe({
    attempted (delivery, attempt) {
      const url = new URL(attempt.url)
      const entry: JournalEntry = {
        time: attempt.at,
        traceId: delivery.id,
        key: delivery.key,
        operation: 'deliverWebhook',
        surface: 'webhooks',
        method: 'POST',
        path: `${url.origin}${url.pathname}`,
        status: attempt.status ?? 0,
        code: 0,
        injectedBy: delivery.injectedBy ?? null,
        latencyMs: attempt.latencyMs,
        earlyRetry: false,
        url: attempt.url,
        requestHeaders: {
          'content-type': 'application/json',
          'tripo-webhook-id': delivery.endpointId,
          'tripo-webhook-delivery': delivery.id,
          'tripo-webhook-event': delivery.event,
          'tripo-webhook-signature': attempt.signature
        },
        // Rendered before its first attempt: there by the time an attempt is observed.
        requestBody: keptText(delivery.body as string, config.journalBodyLimit),
        responseHeaders: {},
        responseBody: keptText(attempt.error ?? attempt.response, config.journalBodyLimit)
      }
      journal.record(entry)
      if (events.listening) events.request(entry)
      metrics.observeWebhookAttempt(delivery.event, attempt.status)
    },
    finished (delivery) {
      metrics.observeWebhookDelivery(delivery.event, delivery.status)
    }
  })
}

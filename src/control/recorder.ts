/**
 * Records every request to the emulated API (downloads and uploads included) in the journal and
 * the metrics, once its answer has gone out.
 *
 * Installed at the root before any route: an `onRoute` hook gives each route that names an
 * operation its own `onResponse` recorder, with the operation bound, so the hot path reads no route
 * config; a root `onResponse` hook records the requests that matched no route (`unknown`), except
 * under the control plane's prefix. Routes without an operation (the docs, the control plane) are
 * never recorded. Per request: one entry object and a few map lookups.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify'
import { bearerKey } from '../api/auth.ts'
import type { JournalEntry, JournalOperation, JournalSurface } from '../domain/journal.ts'
import type { Tenant } from '../domain/tenants.ts'
import type { Services } from '../services.ts'
import { appendRouteHook } from '../infra/route-hooks.ts'
import { CONTROL_PREFIX } from './common.ts'
import { apiSurfaceOfPath } from '../infra/error-handler.ts'

export function installRecorder (app: FastifyInstance, services: Services): void {
  const { clock, journal, metrics, retryAfter } = services

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
      earlyRetry
    }
    journal.record(entry)
    metrics.observe(entry)
  }

  app.addHook('onRoute', (route) => {
    const operation = route.config?.operation
    if (operation === undefined) return
    const surface = route.config?.surface as JournalSurface
    const recordOperation: onResponseHookHandler = (request, reply, done) => {
      record(request, reply, operation, surface)
      done()
    }
    appendRouteHook(route, 'onResponse', recordOperation)
  })

  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404 && !request.url.startsWith(CONTROL_PREFIX)) record(request, reply, 'unknown', apiSurfaceOfPath(request.url) ?? null)
    done()
  })
}

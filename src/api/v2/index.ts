/**
 * The V2 API under `/v2/openapi`, legacy since Tripo switched it off (2026-11-01): every request,
 * WebSocket upgrades included, is authenticated (the key is the tenant) and counted against the
 * key's request rate before its route runs, so a refused upgrade is answered like any other
 * refusal. Retired (setting retireV2), every route answers 410.
 */
import type { FastifyPluginAsync } from 'fastify'
import { ApiError } from '../../domain/errors.ts'
import type { Services } from '../../services.ts'
import { authenticate } from '../auth.ts'
import { balanceRoutes } from './balance.ts'
import { tasksRoutes } from './tasks.ts'
import { watchRoutes } from './watch.ts'
import { uploadsRoutes } from './uploads.ts'

export { V2_PREFIX } from '../../infra/error-handler.ts'

export const v2Api: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const retired = services.config.retireV2
  app.addHook('onRequest', (request, _reply, done) => {
    if (retired) return done(new ApiError('V2_RETIRED', { detail: `${request.method} ${request.url.split('?')[0] as string}` }))
    try {
      request.tenant = authenticate(services.emulator, request)
      services.emulator.countRequest(request.tenant, 'api')
      done()
    } catch (error) {
      done(error as Error)
    }
  })
  await app.register(tasksRoutes, { services })
  await app.register(balanceRoutes, { services })
  await app.register(watchRoutes, { services })
  await app.register(uploadsRoutes, { services })
}

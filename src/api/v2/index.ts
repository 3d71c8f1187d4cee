/**
 * The V2 API under `/v2/openapi`: every request, WebSocket upgrades included, is authenticated
 * (the key is the tenant) and counted against the key's request rate before its route runs, so
 * a refused upgrade is answered like any other refusal.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Services } from '../../services.ts'
import { authenticate } from './auth.ts'
import { balanceRoutes } from './balance.ts'
import { tasksRoutes } from './tasks.ts'
import { watchRoutes } from './watch.ts'
import { uploadsRoutes } from './uploads.ts'

export const V2_PREFIX = '/v2/openapi'

export const v2Api: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', (request, _reply, done) => {
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

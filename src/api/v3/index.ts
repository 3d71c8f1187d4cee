/**
 * The V3 API under `/v3` (V3 reference §3): every request is authenticated (the key is the tenant)
 * and metered against the key's request window, whose state every answer to a key reports in
 * `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds), refusals included.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Services } from '../../services.ts'
import { authenticate } from '../auth.ts'
import { accountRoutes } from './account.ts'
import { creationRoutes } from './create.ts'
import { filesRoutes } from './files.ts'
import { tasksRoutes } from './tasks.ts'

export { V3_PREFIX } from '../../infra/error-handler.ts'

export const v3Api: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { emulator } = services
  // V3 takes JSON (and multipart for /files): any other content type is 415/1003 (reference §0.2).
  app.removeContentTypeParser('text/plain')
  app.addHook('onRequest', (request, reply, done) => {
    try {
      request.tenant = authenticate(emulator, request)
      const meter = emulator.meter(request.tenant)
      reply.header('X-RateLimit-Limit', meter.limit)
      reply.header('X-RateLimit-Remaining', meter.remaining)
      reply.header('X-RateLimit-Reset', meter.resetSeconds)
      done(meter.refusal)
    } catch (error) {
      done(error as Error)
    }
  })
  await app.register(creationRoutes, { services })
  await app.register(tasksRoutes, { services })
  await app.register(filesRoutes, { services })
  await app.register(accountRoutes, { services })
}

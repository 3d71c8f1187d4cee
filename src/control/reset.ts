/**
 * `POST /__mock/reset` forgets everything; `POST /__mock/reset/tenant` forgets one key (in the
 * header): its tasks, uploads, credits, limits, scenario bindings and journal entries, through
 * every participant of the reset registry. The clock and the loaded configuration stay.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import type { Services } from '../services.ts'
import { resetState } from './actions.ts'
import { CONTROL_ERRORS, errorResponses, KEY_ERRORS, KEY_HEADER, KeyHeadersSchema, requiredKey } from './common.ts'

const ResetSchema = Type.Object({
  scope: StringEnum(['all', 'tenant'] as const),
  key: Type.Optional(Type.String({ description: 'The tenant\'s key, masked' })),
  participants: Type.Array(Type.String(), { description: 'The services that forgot their state' })
}, { title: 'ResetDone' })

export const resetRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const response = { 200: ResetSchema, ...errorResponses(...CONTROL_ERRORS) }

  app.post('/reset', {
    config: { surface: 'control' },
    schema: { operationId: 'resetAll', tags: ['reset'], summary: 'Forget every tenant, the journal and the counters', response }
  }, async (request) => {
    const done = resetState(services)
    request.log.info({ participants: done.participants }, 'reset: everything')
    return done
  })

  app.post('/reset/tenant', {
    config: { surface: 'control' },
    schema: {
      operationId: 'resetTenant',
      tags: ['reset'],
      summary: `Forget one API key's tenant (key in ${KEY_HEADER}); other keys are untouched`,
      headers: KeyHeadersSchema,
      response: { 200: ResetSchema, ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request) => {
    const done = resetState(services, requiredKey(services, request.headers))
    request.log.info({ tenant: done.key, participants: done.participants }, 'reset: one tenant')
    return done
  })
}

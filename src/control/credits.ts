/**
 * `/__mock/credits`: read and set a key's balance and frozen credits (key in the header). The key
 * gets its tenant as on its first API call, with the configured starting credits.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Services } from '../services.ts'
import { getCredits, setCredits } from './actions.ts'
import { errorResponses, KEY_ERRORS, KEY_HEADER, KeyHeadersSchema, requiredKey } from './common.ts'

const CreditsSchema = Type.Object({
  balance: Type.Integer({ description: 'Available credits' }),
  frozen: Type.Integer({ description: 'Credits held by queued and running tasks' })
}, { title: 'Credits' })

export const creditsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const response = { 200: CreditsSchema, ...errorResponses(...KEY_ERRORS) }

  app.get('/credits', {
    config: { surface: 'control' },
    schema: { operationId: 'getCredits', tags: ['credits'], summary: `A key's credits (key in ${KEY_HEADER})`, headers: KeyHeadersSchema, response }
  }, async (request) => getCredits(services, requiredKey(services, request.headers)))

  app.patch('/credits', {
    config: { surface: 'control' },
    schema: {
      operationId: 'setCredits',
      tags: ['credits'],
      summary: `Set a key's balance and/or frozen credits (key in ${KEY_HEADER}); a field left out keeps its value`,
      headers: KeyHeadersSchema,
      body: Type.Object({
        balance: Type.Optional(Type.Integer({ minimum: 0 })),
        frozen: Type.Optional(Type.Integer({ minimum: 0 }))
      }, { additionalProperties: false, minProperties: 1 }),
      response
    }
  }, async (request) => {
    const credits = setCredits(services, requiredKey(services, request.headers), request.body)
    request.log.info({ credits }, 'credits set')
    return credits
  })
}

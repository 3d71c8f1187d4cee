/**
 * `GET /user/balance` (reference §2.8), also served as `/user/wallet/balance` (MIG's name for it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Services } from '../../services.ts'
import { COMMON_API_ERRORS, Envelope, errorResponses } from '../common.ts'

const BalanceSchema = Type.Object({
  balance: Type.Integer({ description: 'Available credits (frozen credits already taken out)' }),
  frozen: Type.Integer({ description: 'Credits held by tasks that are queued or running' })
}, { title: 'Balance' })

export const balanceRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  for (const [url, operationId] of [['/user/balance', 'getBalance'], ['/user/wallet/balance', 'getWalletBalance']] as const) {
    app.get(url, {
      config: { operation: 'getBalance', surface: 'v2' },
      schema: {
        operationId,
        tags: ['account'],
        summary: url === '/user/balance' ? 'Get the balance' : 'Get the balance (alias)',
        response: {
          200: Envelope(BalanceSchema, 'The balance of this API key'),
          ...errorResponses(...COMMON_API_ERRORS)
        }
      }
    }, async (request) => ({ code: 0 as const, data: services.emulator.balanceOf(request.tenant) }))
  }
}

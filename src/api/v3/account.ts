/**
 * `GET /v3/account/balance` and `GET /v3/account/usage` (V3 reference §3.8). Credits are numbers
 * (the real ones have two decimals; the emulator's are whole).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { taskState } from '../../domain/task.ts'
import { StringEnum } from '../../domain/task-types/schema-kit.ts'
import type { Services } from '../../services.ts'
import { COMMON_API_ERRORS, V3Envelope, v3ErrorResponses } from '../common.ts'
import { V3_STATUSES, v3StatusOf } from './task-wire.ts'

export const accountRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator, clock } = services

  app.get('/account/balance', {
    config: { operation: 'getBalance', surface: 'v3' },
    schema: {
      operationId: 'getBalance',
      tags: ['account'],
      summary: 'Get the balance',
      response: {
        200: V3Envelope(Type.Object({
          balance: Type.Number({ description: 'Available credits (frozen credits already taken out)' }),
          frozen: Type.Number({ description: 'Credits held by tasks that are queued or running' })
        }), 'The balance of this API key'),
        ...v3ErrorResponses(...COMMON_API_ERRORS)
      }
    }
  }, (request) => ({ code: 0 as const, status: 'success' as const, data: emulator.balanceOf(request.tenant) }))

  app.get('/account/usage', {
    config: { operation: 'getUsage', surface: 'v3' },
    schema: {
      operationId: 'getUsage',
      tags: ['account'],
      summary: 'Credits used, task by task, newest first',
      description: 'The key\'s tasks the emulator still keeps (see taskTtlSeconds and maxTasks), newest first.',
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        offset: Type.Integer({ minimum: 0, default: 0 })
      }),
      response: {
        200: V3Envelope(Type.Array(Type.Object({
          task_id: Type.String(),
          type: Type.String(),
          status: StringEnum(V3_STATUSES),
          credits_consumed: Type.Number({ description: 'Frozen while queued or running; 0 unless it succeeded once final' }),
          created_at: Type.String({ format: 'date-time' })
        })), 'A page of usage rows'),
        ...v3ErrorResponses('INVALID_PARAMETER', ...COMMON_API_ERRORS)
      }
    }
  }, (request) => {
    const now = clock.now()
    const rows = emulator.usageOf(request.tenant, request.query.limit, request.query.offset).map((task) => {
      const { status } = v3StatusOf(task, taskState(task, now))
      return {
        task_id: task.id,
        type: task.type,
        status,
        credits_consumed: status === 'failed' || status === 'cancelled' ? 0 : task.cost,
        created_at: new Date(task.timeline.createdAt).toISOString()
      }
    })
    return { code: 0 as const, status: 'success' as const, data: rows }
  })
}

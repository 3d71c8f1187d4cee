/**
 * `GET /__mock/keys`: every API key the emulator knows (it called, or a scenario is bound to it),
 * masked, with its id (what `X-Tripo-Mock-Key-Id` takes), its tasks, credits and scenarios.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Services } from '../services.ts'
import { listKeys } from './actions.ts'
import { CONTROL_ERRORS, errorResponses, KEY_ID_HEADER } from './common.ts'

const KeySchema = Type.Object({
  key: Type.String({ description: 'Masked' }),
  keyId: Type.String({ description: `What ${KEY_ID_HEADER} takes` }),
  tasks: Type.Integer({ description: 'Tasks kept' }),
  credits: Type.Union([
    Type.Object({ balance: Type.Integer(), frozen: Type.Integer() }),
    Type.Null()
  ], { description: 'Null until the key\'s first call' }),
  scenarios: Type.Array(Type.String(), { description: 'Scenarios bound to the key' })
}, { title: 'Key' })

export const keysRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/keys', {
    config: { surface: 'control' },
    schema: {
      operationId: 'listKeys',
      tags: ['keys'],
      summary: 'Every API key the emulator knows, masked, with its id, tasks, credits and scenarios',
      response: { 200: Type.Object({ keys: Type.Array(KeySchema) }), ...errorResponses(...CONTROL_ERRORS) }
    }
  }, async () => listKeys(services))
}

/**
 * `/__mock/state`: the emulator's state as one versioned JSON document (`GET`), and replacing it by
 * one (`PUT`), all or nothing; with a key in the header, that key's state alone. The document's
 * schema is composed from the parts registered in the state registry, so it documents itself.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'
import { Type } from 'typebox'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import type { Services } from '../services.ts'
import { exportStateText, importState } from './actions.ts'
import { errorResponses, KEY_ERRORS, KEY_HEADER, KEY_ID_HEADER, KeyHeadersSchema, keyOf } from './common.ts'
import { controlValidatorCompiler } from './validation.ts'

/**
 * The largest snapshot `PUT` takes: about what V8 holds in one string, which the JSON body is
 * read into before it is parsed.
 */
const STATE_BODY_LIMIT = 500 * 1024 * 1024

const ImportDoneSchema = Type.Object({
  scope: StringEnum(['all', 'tenant'] as const),
  key: Type.Optional(Type.String({ description: 'The tenant\'s key, masked' })),
  shiftedMs: Type.Number({ description: 'How far the snapshot\'s instants moved to resume now (now - the snapshot\'s clock.now), in ms' }),
  parts: Type.Record(Type.String(), Type.Record(Type.String(), Type.Number()), { description: 'What each part holds now (of the key, for one key): tenants, tasks, uploads, credentials, objects, scenarios...' })
}, { title: 'StateImported' })

/** The snapshot is checked by the state registry itself, whose refusals name the field; the headers as usual. */
const bodyPassThrough: FastifySchemaCompiler<FastifySchema> = (route) => route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : controlValidatorCompiler(route)

export const stateRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const document = services.state.schema()

  app.get('/state', {
    config: { surface: 'control' },
    schema: {
      operationId: 'exportState',
      tags: ['state'],
      summary: `The whole state as a snapshot; with ${KEY_HEADER} (or ${KEY_ID_HEADER}), that key's alone`,
      headers: KeyHeadersSchema,
      response: { 200: document, ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request, reply) => {
    // Already JSON: a snapshot of 100k tasks is tens of MB, stringified once.
    return reply.type('application/json; charset=utf-8').send(exportStateText(services, keyOf(services, request.headers)) as never)
  })

  app.put('/state', {
    config: { surface: 'control' },
    bodyLimit: STATE_BODY_LIMIT,
    schema: {
      operationId: 'importState',
      tags: ['state'],
      summary: `Replace the whole state by a snapshot, all or nothing; with ${KEY_HEADER} (or ${KEY_ID_HEADER}), that key's state alone (a snapshot of that key)`,
      headers: KeyHeadersSchema,
      body: document,
      response: { 200: ImportDoneSchema, ...errorResponses(...KEY_ERRORS) }
    },
    validatorCompiler: bodyPassThrough
  }, async (request) => {
    const done = importState(services, request.body, keyOf(services, request.headers))
    request.log.info({ scope: done.scope, tenant: done.key, shiftedMs: done.shiftedMs, parts: done.parts }, 'state imported')
    return done
  })
}

/**
 * `/__mock/journal`: the latest requests to the emulated API, newest first, filtered by key (in
 * the header, matched exactly, shown masked), trace id, operation, surface, status, instant and
 * early retries; their count; and clearing them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { API_SURFACES, OPERATION_NAMES } from '../domain/operations.ts'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import type { Services } from '../services.ts'
import { clearJournal, journalCount, journalEntries } from './actions.ts'
import { CONTROL_ERRORS, errorResponses, KEY_HEADER, OptionalKeyHeaderSchema } from './common.ts'

const JOURNAL_OPERATIONS = [...OPERATION_NAMES, 'unknown'] as const
const JOURNAL_SURFACES = [...API_SURFACES, 'files'] as const

const EntrySchema = Type.Object({
  time: Type.String({ description: 'When the answer was sent, on the emulator\'s clock (ISO 8601)' }),
  traceId: Type.String({ description: 'X-Tripo-Trace-ID of the answer' }),
  key: Type.Union([Type.String(), Type.Null()], { description: 'The API key, masked; null when none was sent' }),
  operation: StringEnum(JOURNAL_OPERATIONS, { description: 'unknown: no route matched' }),
  surface: Type.Union([StringEnum(JOURNAL_SURFACES), Type.Null()], { description: 'v3, v2, or files (downloads and S3 puts); null for an unknown path outside the API' }),
  method: Type.String(),
  path: Type.String({ description: 'Without the query string' }),
  status: Type.Integer({ description: 'HTTP status' }),
  code: Type.Integer({ description: '0 on success; the error code otherwise' }),
  injectedBy: Type.Union([Type.String(), Type.Null()], { description: 'The scenario rule (`<scenario>/<rule>`) that decided the outcome' }),
  latencyMs: Type.Number({ description: 'Wall milliseconds to answer' }),
  earlyRetry: Type.Boolean({ description: 'Sent before the Retry-After of this key\'s last 429 on this operation ran out' })
}, { title: 'JournalEntry' })

const FilterQuery = {
  traceId: Type.Optional(Type.String({ description: 'X-Tripo-Trace-ID' })),
  operation: Type.Optional(StringEnum(JOURNAL_OPERATIONS)),
  surface: Type.Optional(StringEnum(JOURNAL_SURFACES)),
  status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'HTTP status' })),
  since: Type.Optional(Type.String({ description: 'Entries at or after this instant: ISO 8601 with a zone, or epoch ms' })),
  earlyRetry: Type.Optional(Type.Boolean())
}

export const journalRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/journal', {
    config: { surface: 'control' },
    schema: {
      operationId: 'findRequests',
      tags: ['journal'],
      summary: `Recent requests to the emulated API, newest first (key filter in ${KEY_HEADER})`,
      headers: OptionalKeyHeaderSchema,
      querystring: Type.Object({ ...FilterQuery, limit: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many entries' })) }),
      response: {
        200: Type.Object({ entries: Type.Array(EntrySchema), capacity: Type.Integer({ description: 'journalSize: the oldest entries go beyond it' }) }),
        ...errorResponses(...CONTROL_ERRORS)
      }
    }
  }, async (request) => {
    const { limit, ...query } = request.query
    return journalEntries(services, { ...query, key: request.headers[KEY_HEADER] }, limit)
  })

  app.get('/journal/count', {
    config: { surface: 'control' },
    schema: {
      operationId: 'countRequests',
      tags: ['journal'],
      summary: 'How many journalled requests match the filters',
      headers: OptionalKeyHeaderSchema,
      querystring: Type.Object(FilterQuery),
      response: { 200: Type.Object({ count: Type.Integer() }), ...errorResponses(...CONTROL_ERRORS) }
    }
  }, async (request) => journalCount(services, { ...request.query, key: request.headers[KEY_HEADER] }))

  app.delete('/journal', {
    config: { surface: 'control' },
    schema: {
      operationId: 'clearJournal',
      tags: ['journal'],
      summary: `Clear the journal, or only one key's entries (key in ${KEY_HEADER})`,
      headers: OptionalKeyHeaderSchema,
      response: { 200: Type.Object({ removed: Type.Integer() }), ...errorResponses(...CONTROL_ERRORS) }
    }
  }, async (request) => clearJournal(services, request.headers[KEY_HEADER]))
}

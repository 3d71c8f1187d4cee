/**
 * `/__mock/journal`: the latest requests to the emulated API, newest first, filtered by key (in
 * the header, matched exactly, shown masked), trace id, operation, surface, status, error code,
 * injecting rule, text inside the URL, headers and bodies, instant and early retries; their count;
 * one request in full (headers and bodies, the API key masked); and clearing them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { API_SURFACES, OPERATION_NAMES } from '../domain/operations.ts'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import type { Services } from '../services.ts'
import { clearJournal, journalCount, journalDetail, journalEntries } from './actions.ts'
import { errorResponses, KEY_ERRORS, KEY_HEADER, KEY_ID_HEADER, KeyHeadersSchema, keyOf } from './common.ts'

const JOURNAL_OPERATIONS = [...OPERATION_NAMES, 'unknown'] as const
const JOURNAL_SURFACES = [...API_SURFACES, 'files', 'webhooks'] as const

const EntrySchema = Type.Object({
  time: Type.String({ description: 'When the answer was sent, on the emulator\'s clock (ISO 8601)' }),
  traceId: Type.String({ description: 'X-Tripo-Trace-ID of the answer' }),
  key: Type.Union([Type.String(), Type.Null()], { description: 'The API key, masked; null when none was sent' }),
  keyId: Type.Union([Type.String(), Type.Null()], { description: `The key's id (${KEY_ID_HEADER}); null when none was sent` }),
  operation: StringEnum(JOURNAL_OPERATIONS, { description: 'unknown: no route matched' }),
  surface: Type.Union([StringEnum(JOURNAL_SURFACES), Type.Null()], { description: 'v3, v2, or files (downloads and S3 puts); webhooks for a delivery attempt the emulator made; null for an unknown path outside the API' }),
  method: Type.String(),
  path: Type.String({ description: 'Without the query string' }),
  status: Type.Integer({ description: 'HTTP status' }),
  code: Type.Integer({ description: '0 on success; the error code otherwise' }),
  injectedBy: Type.Union([Type.String(), Type.Null()], { description: 'The scenario rule (`<scenario>/<rule>`) that decided the outcome' }),
  latencyMs: Type.Number({ description: 'Wall milliseconds to answer' }),
  earlyRetry: Type.Boolean({ description: 'Sent before the Retry-After of this key\'s last 429 on this operation ran out' })
}, { title: 'JournalEntry' })

const BodySchema = Type.Object({
  text: Type.Union([Type.String(), Type.Null()], { description: 'The body as text, perhaps cut short (journalBodyLimit); null when it has no text form (files, multipart) or none was kept' }),
  length: Type.Integer({ description: 'Characters the body had' }),
  truncated: Type.Boolean()
})

const Headers = Type.Record(Type.String(), Type.String(), { description: 'The API key masked' })

const DetailSchema = Type.Object({
  ...EntrySchema.properties,
  url: Type.String({ description: 'Path and query string, as requested' }),
  request: Type.Object({ headers: Headers, body: BodySchema }),
  response: Type.Object({ headers: Headers, body: BodySchema })
}, { title: 'JournalDetail' })

/** The journal's filters: the list, the count and the event stream take them alike. */
export const FilterQuery = {
  traceId: Type.Optional(Type.String({ description: 'X-Tripo-Trace-ID' })),
  operation: Type.Optional(StringEnum(JOURNAL_OPERATIONS)),
  surface: Type.Optional(StringEnum(JOURNAL_SURFACES)),
  status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'HTTP status' })),
  code: Type.Optional(Type.Integer({ description: 'Error code; 0: successes' })),
  injectedBy: Type.Optional(Type.String({ minLength: 1, description: 'A scenario rule (`<scenario>/<rule>`), or any rule of a scenario (`<scenario>`)' })),
  text: Type.Optional(Type.String({ minLength: 1, description: 'Text inside the URL, headers or bodies, in any case (the API key is searched masked)' })),
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
      headers: KeyHeadersSchema,
      querystring: Type.Object({ ...FilterQuery, limit: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many entries' })) }),
      response: {
        200: Type.Object({ entries: Type.Array(EntrySchema), capacity: Type.Integer({ description: 'journalSize: the oldest entries go beyond it' }) }),
        ...errorResponses(...KEY_ERRORS)
      }
    }
  }, async (request) => {
    const { limit, ...query } = request.query
    return journalEntries(services, { ...query, key: keyOf(services, request.headers) }, limit)
  })

  app.get('/journal/:traceId', {
    config: { surface: 'control' },
    schema: {
      operationId: 'getRequest',
      tags: ['journal'],
      summary: 'One request in full: its URL, headers and bodies (bounded, the API key masked) and its answer\'s',
      params: Type.Object({ traceId: Type.String({ minLength: 1, description: 'X-Tripo-Trace-ID' }) }),
      response: { 200: DetailSchema, ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request) => journalDetail(services, request.params.traceId))

  app.get('/journal/count', {
    config: { surface: 'control' },
    schema: {
      operationId: 'countRequests',
      tags: ['journal'],
      summary: 'How many journalled requests match the filters',
      headers: KeyHeadersSchema,
      querystring: Type.Object(FilterQuery),
      response: { 200: Type.Object({ count: Type.Integer() }), ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request) => journalCount(services, { ...request.query, key: keyOf(services, request.headers) }))

  app.delete('/journal', {
    config: { surface: 'control' },
    schema: {
      operationId: 'clearJournal',
      tags: ['journal'],
      summary: `Clear the journal, or only one key's entries (key in ${KEY_HEADER})`,
      headers: KeyHeadersSchema,
      response: { 200: Type.Object({ removed: Type.Integer() }), ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request) => clearJournal(services, keyOf(services, request.headers)))
}

/**
 * Wire schemas shared by every route: the success envelopes, the error envelopes, and the error
 * responses a route declares (one per HTTP status, listing the catalogue codes it can carry), so
 * that OpenAPI, the serializer and the scenario engine agree on what a route may answer. V2 and V3
 * differ only in their envelopes: V3 adds `status`, and `request_id` to errors.
 */
import { Type, type TSchema } from 'typebox'
import { ERROR_CATALOGUE, type ErrorKey } from '../domain/errors.ts'

export const ErrorEnvelopeSchema = Type.Object({
  code: Type.Integer({ description: 'Error code (see the catalogue)' }),
  message: Type.String(),
  suggestion: Type.String(),
  detail: Type.Optional(Type.String({ description: 'Emulator errors only: what was wrong' }))
}, { title: 'ErrorEnvelope' })

export const V3ErrorEnvelopeSchema = Type.Object({
  code: Type.Integer({ description: 'Error code (see the catalogue)' }),
  status: Type.Literal('error'),
  message: Type.String(),
  suggestion: Type.String(),
  request_id: Type.String({ description: 'The X-Tripo-Trace-ID of the answer' }),
  detail: Type.Optional(Type.String({ description: 'Emulator errors only: what was wrong' }))
}, { title: 'ErrorEnvelopeV3' })

/** V2's `{"code":0,"data":<data>}` */
export function Envelope<T extends TSchema> (data: T, description: string) {
  return Type.Object({ code: Type.Literal(0), data }, { description })
}

/** V3's `{"code":0,"status":"success","data":<data>}` */
export function V3Envelope<T extends TSchema> (data: T, description: string) {
  return Type.Object({ code: Type.Literal(0), status: Type.Literal('success'), data }, { description })
}

/** Error responses by HTTP status, each describing the catalogue codes it can carry, in V2's envelope. */
export function errorResponses (...keys: ErrorKey[]): Record<number, TSchema> {
  return errorResponsesIn(ErrorEnvelopeSchema, keys)
}

/** The same, in V3's envelope. */
export function v3ErrorResponses (...keys: ErrorKey[]): Record<number, TSchema> {
  return errorResponsesIn(V3ErrorEnvelopeSchema, keys)
}

function errorResponsesIn (envelope: TSchema, keys: readonly ErrorKey[]): Record<number, TSchema> {
  const byStatus = new Map<number, string[]>()
  for (const key of keys) {
    const entry = ERROR_CATALOGUE[key]
    const lines = byStatus.get(entry.status) ?? []
    lines.push(`${entry.code}: ${entry.message}`)
    byStatus.set(entry.status, lines)
  }
  const responses: Record<number, TSchema> = {}
  for (const [status, lines] of byStatus) {
    responses[status] = { ...envelope, description: lines.join('; ') }
  }
  return responses
}

/** Errors any emulated API route can answer: auth, rate limit, and the server-side failures scenarios inject. */
export const COMMON_API_ERRORS: ErrorKey[] = ['AUTHENTICATION_FAILED', 'RATE_LIMITED', 'UNKNOWN_ERROR', 'FATAL_ERROR', 'FORBIDDEN']

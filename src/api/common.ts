/**
 * Wire schemas shared by every route: the success envelope, the error envelope, and the error
 * responses a route declares (one per HTTP status, listing the catalogue codes it can carry), so
 * that OpenAPI, the serializer and the scenario engine agree on what a route may answer.
 */
import { Type, type TSchema } from 'typebox'
import { ERROR_CATALOGUE, type ErrorKey } from '../domain/errors.ts'

export const ErrorEnvelopeSchema = Type.Object({
  code: Type.Integer({ description: 'Error code (see the catalogue)' }),
  message: Type.String(),
  suggestion: Type.String(),
  detail: Type.Optional(Type.String({ description: 'Emulator errors only: what was wrong' }))
}, { title: 'ErrorEnvelope' })

/** `{"code":0,"data":<data>}` */
export function Envelope<T extends TSchema> (data: T, description: string) {
  return Type.Object({ code: Type.Literal(0), data }, { description })
}

/** Error responses by HTTP status, each describing the catalogue codes it can carry. */
export function errorResponses (...keys: ErrorKey[]): Record<number, TSchema> {
  const byStatus = new Map<number, string[]>()
  for (const key of keys) {
    const entry = ERROR_CATALOGUE[key]
    const lines = byStatus.get(entry.status) ?? []
    lines.push(`${entry.code}: ${entry.message}`)
    byStatus.set(entry.status, lines)
  }
  const responses: Record<number, TSchema> = {}
  for (const [status, lines] of byStatus) {
    responses[status] = { ...ErrorEnvelopeSchema, description: lines.join('; ') }
  }
  return responses
}

/** Errors any emulated API route can answer: auth, rate limit, and the server-side failures scenarios inject. */
export const COMMON_API_ERRORS: ErrorKey[] = ['AUTHENTICATION_FAILED', 'RATE_LIMITED', 'UNKNOWN_ERROR', 'FATAL_ERROR', 'FORBIDDEN']

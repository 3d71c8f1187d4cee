/**
 * Validation of V3 request bodies. Lenient as the real server is (reference §3: unknown fields are
 * forwarded, not refused): no field is removed, no type coerced; the schema's defaults are applied.
 * A body that is not a JSON object is malformed (1003); a field the schema refuses is 1004.
 */
import { Ajv } from 'ajv'
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import { ApiError } from '../../domain/errors.ts'
import { lazyValidatorCompiler, textualAjv } from '../../infra/schema-compilers.ts'

const ajv = new Ajv({ useDefaults: true, removeAdditional: false, coerceTypes: false, allErrors: false, strict: false, validateSchema: false })
const bodies = lazyValidatorCompiler(ajv)
const textual = lazyValidatorCompiler(textualAjv)

interface BodyValidator {
  (data: unknown): boolean | { error: Error }
  errors?: FastifySchemaValidationError[] | null
}

export const v3ValidatorCompiler: FastifySchemaCompiler<unknown> = (route) => {
  if (route.httpPart !== 'body') return textual(route)
  const validate = bodies(route) as BodyValidator
  const check: BodyValidator = (data) => {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      return { error: new ApiError('MALFORMED_BODY', { detail: 'the body must be a JSON object' }) }
    }
    const valid = validate(data)
    check.errors = validate.errors
    return valid
  }
  return check
}

/**
 * The control plane's validator: unlike the emulated API's, it refuses unknown body fields (a
 * typo in a control call should fail loudly, not be dropped), and coerces only the parts that
 * arrive as text (query, params, headers). A request without a body (or with a JSON `null`) is
 * checked, and handled, as `{}`, so a route whose body fields are all optional can be called bare
 * (`curl -X POST`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'
import { lazyValidatorCompiler } from '../infra/schema-compilers.ts'

const strict = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: false, allErrors: false, strict: false, validateSchema: false })
const textual = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: true, allErrors: false, strict: false, validateSchema: false })
const textualCompiler = lazyValidatorCompiler(textual)

interface BodyValidator {
  (data: unknown): false | { value: unknown }
  errors?: ErrorObject[] | null
}

/** Compiled on a route's first use (see infra/schema-compilers.ts). */
export const controlValidatorCompiler: FastifySchemaCompiler<FastifySchema> = (route) => {
  if (route.httpPart !== 'body') return textualCompiler(route)
  let validate: ValidateFunction | undefined
  const validateBody: BodyValidator = (data) => {
    validate ??= strict.compile(route.schema as object)
    // Fastify hands over null for no body (and for a JSON `null`): the handler gets the `{}` checked.
    const body = data ?? {}
    const valid = validate(body)
    validateBody.errors = validate.errors
    return valid && { value: body }
  }
  return validateBody
}

/**
 * The control plane's validator: unlike the emulated API's, it refuses unknown body fields (a
 * typo in a control call should fail loudly, not be dropped), and coerces only the parts that
 * arrive as text (query, params, headers). A request without a body is checked as `{}`, so a
 * route whose body fields are all optional can be called bare (`curl -X POST`).
 */
import { Ajv, type ErrorObject } from 'ajv'
import { type FastifySchema, type FastifySchemaCompiler } from 'fastify'

const strict = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: false, allErrors: false, strict: false })
const textual = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: true, allErrors: false, strict: false })

interface BodyValidator {
  (data: unknown): boolean
  errors?: ErrorObject[] | null
}

export const controlValidatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  if (httpPart !== 'body') return textual.compile(schema as object)
  const validate = strict.compile(schema as object)
  const validateBody: BodyValidator = (data) => {
    const valid = validate(data ?? {})
    validateBody.errors = validate.errors
    return valid
  }
  return validateBody
}

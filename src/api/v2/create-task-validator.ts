/**
 * Validation of `POST /task` bodies, built from the task catalogue's schemas.
 *
 * The body is a union discriminated by `type`, and the real API answers each way of getting it
 * wrong with its own code, which one Ajv union cannot tell apart. So: 1003 when the body is not a
 * JSON object; 2002 / 2016 for an unknown or deprecated type; then the type's own schema (1004,
 * with the field in the log). `model_version` is left to the domain, which tells a deprecated
 * version (2015) from an invalid one (2017). Fields the type does not define are ignored, as the
 * real API ignores them (observed), and dropped from the `input` echo.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { FastifySchemaCompiler } from 'fastify'
import { ApiError } from '../../domain/errors.ts'
import { DEPRECATED_TASK_TYPES, type Params, V2_TASK_TYPES } from '../../domain/task-types/index.ts'

type JsonSchema = Record<string, unknown>

/**
 * The validating variant of a type's schema: `model_version` accepts any string (its verdict is the
 * domain's), and objects drop the properties they do not define.
 */
function validatingVariant (schema: JsonSchema, top = true): JsonSchema {
  const copy: JsonSchema = { ...schema }
  const properties = schema['properties'] as Record<string, JsonSchema> | undefined
  if (properties !== undefined) {
    copy['properties'] = Object.fromEntries(Object.entries(properties).map(([name, property]) => {
      if (top && name === 'model_version') return [name, { type: 'string', ...('default' in property ? { default: property['default'] } : {}) }]
      return [name, validatingVariant(property, false)]
    }))
    if (schema['additionalProperties'] === undefined) copy['additionalProperties'] = false
  }
  const items = schema['items'] as JsonSchema | undefined
  if (items !== undefined) copy['items'] = validatingVariant(items, false)
  return copy
}

const ajv = new Ajv({ useDefaults: true, removeAdditional: true, coerceTypes: false, allErrors: false, strict: false, validateSchema: false })

/** Compiled on a type's first request: compiling all eighteen up front would slow the start. */
const validators = new Map<string, ValidateFunction>()

function validatorOf (type: string): ValidateFunction | undefined {
  let validate = validators.get(type)
  if (validate === undefined) {
    const definition = V2_TASK_TYPES.get(type)
    if (definition === undefined) return undefined
    validate = ajv.compile(validatingVariant(definition.schema as unknown as JsonSchema))
    validators.set(type, validate)
  }
  return validate
}

/** Checks a create-task body and returns it with defaults applied; throws ApiError. */
export function validateCreateTask (body: unknown): Params {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError('MALFORMED_BODY', { detail: 'the body must be a JSON object' })
  }
  const type = (body as Params)['type']
  if (type === undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'type is required' })
  if (typeof type !== 'string') throw new ApiError('INVALID_PARAMETER', { detail: 'type must be a string' })
  if (DEPRECATED_TASK_TYPES.has(type)) throw new ApiError('DEPRECATED_TYPE', { detail: `${type} is deprecated` })
  const validate = validatorOf(type)
  if (validate === undefined) throw new ApiError('UNSUPPORTED_TASK_TYPE', { detail: `unknown type ${type}` })
  const properties = (V2_TASK_TYPES.get(type) as { schema: { properties: object } }).schema.properties
  const ignored = Object.keys(body).filter((name) => !(name in properties))
  if (!validate(body)) throw new ApiError('INVALID_PARAMETER', { detail: describe((validate.errors as ErrorObject[])[0] as ErrorObject) })
  if (ignored.length > 0) ignoredFields.set(body, ignored)
  return body as Params
}

const ignoredFields = new WeakMap<object, string[]>()

/** Top-level fields a validated body carried that its type does not define (dropped, as the real API ignores them). */
export function ignoredFieldsOf (params: Params): readonly string[] {
  return ignoredFields.get(params) ?? []
}

/** Ajv's first error as the field and what is wrong with it, e.g. `file.object.key is required`. */
function describe (error: ErrorObject): string {
  const at = error.instancePath.slice(1).replaceAll('/', '.')
  const missing = (error.params as { missingProperty?: string }).missingProperty
  if (missing !== undefined) return `${at === '' ? '' : at + '.'}${missing} is required`
  return `${at} ${error.message as string}`
}

/** The route's validator compiler (the route validates nothing but its body): the dispatch above. */
export const createTaskValidatorCompiler: FastifySchemaCompiler<unknown> = () => {
  return (data: unknown) => {
    try {
      return { value: validateCreateTask(data) }
    } catch (error) {
      return { error: error as Error }
    }
  }
}

/**
 * Route schemas are compiled on a route's first use, not at start: the emulator has many routes
 * (the API, files, the control plane) whose validators and serializers would otherwise all be
 * compiled before the first request could be answered (cold start is one of the quality bars).
 */
import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'
import fastJson from 'fast-json-stringify'

interface LazyValidate {
  (data: unknown): boolean
  errors?: ValidateFunction['errors']
}

/** Wraps an Ajv instance: each schema is compiled when first used. */
export function lazyValidatorCompiler (ajv: Ajv): FastifySchemaCompiler<unknown> {
  return ({ schema }) => {
    let validate: ValidateFunction | undefined
    const lazy: LazyValidate = (data) => {
      validate ??= ajv.compile(schema as object)
      const valid = validate(data)
      lazy.errors = validate.errors
      return valid
    }
    return lazy
  }
}

/** fast-json-stringify, compiled when a route first answers with that status. */
export const lazySerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) => {
  let stringify: ((data: unknown) => string) | undefined
  return (data) => {
    stringify ??= fastJson(schema as Parameters<typeof fastJson>[0]) as (data: unknown) => string
    return stringify(data)
  }
}

/** What Fastify's default validation does for params, query and headers: coerce text, apply defaults. */
export const textualAjv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false, strict: false, validateSchema: false })

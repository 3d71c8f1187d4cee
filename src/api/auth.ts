/**
 * `Authorization: Bearer <key>` on every V2 request. The key is the tenant: the hook resolves it
 * once and the handlers read `request.tenant`. Missing, malformed or refused → 401/1002.
 */
import type { FastifyRequest } from 'fastify'
import type { Emulator } from '../domain/emulator.ts'
import { ApiError } from '../domain/errors.ts'
import type { Tenant } from '../domain/tenants.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key's tenant, set by the V2 auth hook. */
    tenant: Tenant
  }
}

const BEARER = /^Bearer +(\S+) *$/i

/** The API key of a request, or undefined when the header is missing or not a Bearer token. */
export function bearerKey (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  return BEARER.exec(header)?.[1]
}

export function authenticate (emulator: Emulator, request: FastifyRequest): Tenant {
  const key = bearerKey(request)
  if (key === undefined) throw new ApiError('AUTHENTICATION_FAILED', { detail: 'missing or malformed Authorization header' })
  return emulator.tenantOf(key)
}

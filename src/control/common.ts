/**
 * What the control plane's routes share: the headers that name an API key (or its id), the errors
 * every protected route can answer, and the refusals of the emulator's own rules.
 */
import { createHash } from 'node:crypto'
import { Type } from 'typebox'
import { ApiError, type ErrorKey } from '../domain/errors.ts'
import { MAX_KEY_LENGTH, type Tenant } from '../domain/tenants.ts'
import type { Services } from '../services.ts'

export { errorResponses } from '../api/common.ts'

export const CONTROL_PREFIX = '/__mock'

/**
 * The API key a control call is about travels in this header, never in the URL: URLs end up in
 * access logs (the emulator's own and any proxy's), headers do not.
 */
export const KEY_HEADER = 'x-tripo-mock-key'

/**
 * Or the key's id (`keyId` in every view): what the dashboard and its links use, since the views
 * show keys masked.
 */
export const KEY_ID_HEADER = 'x-tripo-mock-key-id'

const keyIds = new Map<string, string>()

/** A key's id: safe to show and to put in a link, the same across restarts (a digest of the key). */
export function keyIdOf (key: string): string {
  let id = keyIds.get(key)
  if (id === undefined) {
    id = createHash('sha256').update(key).digest('hex').slice(0, 16)
    // The event stream shows a key per request: remembered, within a bound.
    if (keyIds.size >= 10_000) keyIds.clear()
    keyIds.set(key, id)
  }
  return id
}

const KeyValue = Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH, description: 'The full API key (tsk_...) the call is about' })
const KeyIdValue = Type.String({ minLength: 1, description: `Or the key's id (keyId in the views), instead of ${KEY_HEADER}` })

/** The key a route is about (`requiredKey`) or may be narrowed to (`keyOf`): by itself, or by its id. */
export const KeyHeadersSchema = Type.Object({ [KEY_HEADER]: Type.Optional(KeyValue), [KEY_ID_HEADER]: Type.Optional(KeyIdValue) })

type KeyHeaders = Readonly<Partial<Record<typeof KEY_HEADER | typeof KEY_ID_HEADER, string>>>

/** The key a control call names: X-Tripo-Mock-Key, or the known key whose id is X-Tripo-Mock-Key-Id (404 when none). */
export function keyOf (services: Services, headers: KeyHeaders): string | undefined {
  const key = headers[KEY_HEADER]
  if (key !== undefined) return key
  const id = headers[KEY_ID_HEADER]
  if (id === undefined) return undefined
  for (const known of knownKeys(services)) if (keyIdOf(known) === id) return known
  throw new ApiError('MOCK_NOT_FOUND', { detail: `no key has the id ${id} (a key is known once it called the API, or is bound to a scenario)` })
}

/** The key a control call is about; 400 when neither header names one. */
export function requiredKey (services: Services, headers: KeyHeaders): string {
  const key = keyOf(services, headers)
  if (key === undefined) throw badRequest(`the key goes in the ${KEY_HEADER} header (or its id in ${KEY_ID_HEADER})`)
  return key
}

/** Every key the emulator knows: those that called, and those bound to a scenario. */
export function knownKeys (services: Services): string[] {
  return [...new Set([...services.emulator.tenantKeys(), ...Object.keys(services.scenarios.bindings())])]
}

/** What every protected control route may answer besides its own errors. */
export const CONTROL_ERRORS: ErrorKey[] = ['MOCK_BAD_REQUEST', 'MOCK_UNAUTHORIZED']

/** What a route that takes a key may answer: also 404 for a key id no key has. */
export const KEY_ERRORS: ErrorKey[] = [...CONTROL_ERRORS, 'MOCK_NOT_FOUND']

export function badRequest (detail: string): ApiError {
  return new ApiError('MOCK_BAD_REQUEST', { detail })
}

/** The tenant of a key, opened as the API would on its first call; a key the API refuses is a 9400. */
export function tenantFor (services: Services, key: string): Tenant {
  try {
    return services.emulator.tenantOf(key)
  } catch {
    // tenantOf refuses a key only one way (1002): the key is not accepted.
    throw badRequest('the emulated API does not accept this key (see apiKeys)')
  }
}

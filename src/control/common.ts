/**
 * What the control plane's routes share: the header that names an API key, the errors every
 * protected route can answer, and the refusals of the emulator's own rules.
 */
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

const KeyValue = Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH, description: 'The full API key (tsk_...) the call is about' })

export const KeyHeaderSchema = Type.Object({ [KEY_HEADER]: KeyValue })
export const OptionalKeyHeaderSchema = Type.Object({ [KEY_HEADER]: Type.Optional(KeyValue) })

/** What every protected control route may answer besides its own errors. */
export const CONTROL_ERRORS: ErrorKey[] = ['MOCK_BAD_REQUEST', 'MOCK_UNAUTHORIZED']

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

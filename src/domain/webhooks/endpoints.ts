/**
 * What an endpoint may be: an http or https URL, a whole `whsec_...` secret (one is generated when
 * none is given, as Tripo's console does), and the events it receives. Refusals are the control
 * plane's 9400, with a detail naming the field.
 */
import { randomBytes } from 'node:crypto'
import { ApiError } from '../errors.ts'
import { WEBHOOK_EVENTS, type WebhookEvent } from './model.ts'

export const SECRET_PREFIX = 'whsec_'

const SECRET_PATTERN = /^whsec_[\x21-\x7e]+$/

const refuse = (detail: string): ApiError => new ApiError('MOCK_BAD_REQUEST', { detail })

/** A new secret: `whsec_` and 32 random bytes in base64url. */
export function newSecret (): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url')
}

/**
 * The id of an entry of the `webhooks` setting (the first is `ep_config_1`): the same at every
 * start, so the deliveries a snapshot holds for it are still its after a restart.
 */
export function configuredEndpointId (index: number): string {
  return `ep_config_${index + 1}`
}

export function checkUrl (url: unknown): string {
  let parsed: URL | undefined
  try {
    parsed = new URL(String(url))
  } catch {}
  if (typeof url !== 'string' || (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:')) {
    throw refuse(`url: ${JSON.stringify(url)} is not an http or https URL`)
  }
  return url
}

export function checkSecret (secret: unknown): string {
  if (typeof secret !== 'string' || !SECRET_PATTERN.test(secret)) {
    throw refuse('secret: must be the whole whsec_... string (whsec_ and printable characters, no spaces)')
  }
  return secret
}

/** The events an endpoint receives; undefined (not given): all of them. */
export function checkEvents (events: unknown): WebhookEvent[] | undefined {
  if (events === undefined) return undefined
  const known: readonly string[] = WEBHOOK_EVENTS
  if (!Array.isArray(events) || events.length === 0 || !events.every((event) => known.includes(event as string))) {
    throw refuse(`events: a list of one or more of ${WEBHOOK_EVENTS.join(', ')} (leave it out for all)`)
  }
  return [...new Set(events as WebhookEvent[])]
}

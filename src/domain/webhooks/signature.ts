/**
 * The `Tripo-Webhook-Signature` header (V3 reference §5): `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`,
 * where each `v1` is the lowercase hex HMAC-SHA256 of `<t>.<raw body>`, keyed with the UTF-8
 * bytes of the whole secret string, `whsec_` prefix included. Several `v1` entries let a secret
 * be rotated: a receiver accepts the request if any of them matches.
 *
 * `verifyWebhookSignature` is exported by the package for receivers' own tests (no official SDK
 * offers one for JavaScript); it follows the rules of the community C# SDK the reference cites.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'Tripo-Webhook-Signature'

/** How far a signature's `t` may be from the receiver's clock, either way (the reference: 5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** The hex HMAC-SHA256 of `<t>.<body>` keyed with the whole secret. */
export function signatureOf (secret: string, timestamp: number | string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

/** The header value: `t=<timestamp>` then one `v1` per secret, in order. */
export function signatureHeader (timestamp: number, body: string, secrets: readonly string[]): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${signatureOf(secret, timestamp, body)}`)].join(',')
}

/**
 * - `valid`: a `v1` matches and `t` is within the tolerance.
 * - `malformed`: no header, a part without `=` or a value, no `t` or a `t` that is not digits, no `v1`.
 * - `stale`: `t` is further from now than the tolerance (a replay, or a clock far off).
 * - `mismatch`: no `v1` matches (another secret, or the body was changed on the way).
 */
export type WebhookSignatureVerdict = 'valid' | 'malformed' | 'stale' | 'mismatch'

export interface VerifyWebhookOptions {
  /** Seconds `t` may be from now, either way; default 300. */
  readonly toleranceSeconds?: number
  /** The receiver's clock: epoch milliseconds or a Date; default the wall clock. */
  readonly now?: number | Date
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i

/**
 * Verifies a `Tripo-Webhook-Signature` header against the raw request body (the exact bytes
 * received, before any JSON parsing) and the endpoint's whole `whsec_...` secret. Each `v1` is
 * compared in constant time.
 */
export function verifyWebhookSignature (body: string | Uint8Array, header: string | null | undefined, secret: string, options: VerifyWebhookOptions = {}): WebhookSignatureVerdict {
  if (typeof header !== 'string') return 'malformed'
  let timestamp: string | undefined
  const signatures: string[] = []
  for (const part of header.split(',').map((each) => each.trim()).filter((each) => each !== '')) {
    const equals = part.indexOf('=')
    if (equals <= 0 || equals === part.length - 1) return 'malformed'
    const name = part.slice(0, equals)
    if (name === 't') timestamp = part.slice(equals + 1)
    else if (name === 'v1') signatures.push(part.slice(equals + 1))
  }
  if (timestamp === undefined || !/^\d{1,15}$/.test(timestamp) || signatures.length === 0) return 'malformed'

  // The receiver's clock, which the sender's `t` is checked against (not the emulator's).
  const now = options.now instanceof Date ? options.now.getTime() : options.now ?? Date.now()
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (Math.abs(now / 1000 - Number(timestamp)) > tolerance) return 'stale'

  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex')
  let matched = false
  // Every candidate is compared, so the time taken does not tell which one matched.
  for (const signature of signatures) {
    if (HEX_SHA256.test(signature) && timingSafeEqual(Buffer.from(signature, 'hex'), expected)) matched = true
  }
  return matched ? 'valid' : 'mismatch'
}

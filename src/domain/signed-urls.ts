/**
 * Signed, expiring download URLs, shaped like the CloudFront signed URLs the real API hands out
 * (`?Expires=<unix>&Signature=<sig>&Key-Pair-Id=<id>`). Expiry follows the emulator's clock, so a
 * test can let a URL expire by advancing the clock. Reading the task again signs afresh.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from './clock.ts'

export const KEY_PAIR_ID = 'KTRIPOMOCKEMULATOR'

export type UrlVerdict = 'valid' | 'expired' | 'invalid'

export class UrlSigner {
  private readonly secret: Buffer
  private readonly clock: Clock
  readonly expirySeconds: number

  constructor (clock: Clock, expirySeconds: number, secret: Buffer = randomBytes(32)) {
    this.clock = clock
    this.expirySeconds = expirySeconds
    this.secret = secret
  }

  /** The query string that signs `path` for `lifetime` seconds (0: already expired). */
  sign (path: string, lifetime: number = this.expirySeconds): string {
    const expires = Math.floor(this.clock.now() / 1000) + (lifetime > 0 ? lifetime : -1)
    return `Expires=${expires}&Signature=${this.signature(path, expires, KEY_PAIR_ID)}&Key-Pair-Id=${KEY_PAIR_ID}`
  }

  /**
   * Whether a URL's signing parameters hold, as the CDN checks them: all three present, the
   * signature over the path, the expiry and the key pair (so a changed or missing Key-Pair-Id is
   * refused like a tampered signature), compared in constant time; then the expiry.
   */
  verify (path: string, expires: string | undefined, signature: string | undefined, keyPairId: string | undefined): UrlVerdict {
    if (expires === undefined || signature === undefined || keyPairId === undefined || !/^\d{1,12}$/.test(expires)) return 'invalid'
    const expected = Buffer.from(this.signature(path, Number(expires), keyPairId))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || keyPairId !== KEY_PAIR_ID) return 'invalid'
    return Math.floor(this.clock.now() / 1000) > Number(expires) ? 'expired' : 'valid'
  }

  private signature (path: string, expires: number, keyPairId: string): string {
    return createHmac('sha256', this.secret).update(`${path}\n${expires}\n${keyPairId}`).digest('base64url')
  }
}

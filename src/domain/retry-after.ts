/**
 * Retry-After compliance (Dev Proxy's RetryAfterPlugin idea): after a 429 that told a key to wait,
 * remember until when, per key and operation; a request of that key and operation that comes
 * back sooner is an early retry, flagged in the journal and counted in the metrics.
 *
 * Instants are on the emulator's clock: the caller converts Retry-After's wall seconds with the
 * clock's speed. Two map lookups per request and no allocation; a window is dropped once it ends.
 */
export class RetryAfterWatch {
  /** key → operation → instant the client was told to wait for. */
  private readonly windows = new Map<string, Map<string, number>>()

  /** A 429 told `key` to wait until `until` before calling `operation` again. */
  open (key: string, operation: string, until: number): void {
    let byOperation = this.windows.get(key)
    if (byOperation === undefined) {
      byOperation = new Map()
      this.windows.set(key, byOperation)
    }
    byOperation.set(operation, until)
  }

  /** Whether a request of `key` for `operation` at `now` comes before its Retry-After ran out. */
  isEarly (key: string, operation: string, now: number): boolean {
    const byOperation = this.windows.get(key)
    if (byOperation === undefined) return false
    const until = byOperation.get(operation)
    if (until === undefined) return false
    if (now < until) return true
    byOperation.delete(operation)
    if (byOperation.size === 0) this.windows.delete(key)
    return false
  }

  /** Forgets one key's windows, or every window. */
  reset (key?: string): void {
    if (key === undefined) this.windows.clear()
    else this.windows.delete(key)
  }
}

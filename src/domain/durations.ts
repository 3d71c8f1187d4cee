/**
 * Durations as people write them in scenario files and control-plane calls: a number of
 * milliseconds, or a string of parts such as "500ms", "2s", "1.5m", "1h30m". Instants: ISO 8601 with
 * a zone, or epoch milliseconds.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * The longest duration a scenario or a task type may give (8760h, a year): whatever it sets, added
 * to the clock (which ends in 9999), stays an instant the emulator can render. A task that must
 * never end stalls instead.
 */
export const MAX_DURATION_MS = 8760 * 3_600_000

export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$'
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/** Milliseconds of a duration, or undefined when it is not one. */
export function parseDuration (value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (!new RegExp(DURATION_PATTERN).test(value)) return undefined
  let total = 0
  for (const [, amount, unit] of value.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit as string] as number)
  return Math.round(total)
}

/** Date and time with a zone: a bare local time would depend on the machine's time zone. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/
const DIGITS = /^\d+$/

/** Epoch milliseconds of an instant (ISO 8601 with a zone, or epoch ms), or undefined when it is not one. */
export function parseInstant (value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  const text = value.trim()
  if (DIGITS.test(text)) {
    const ms = Number(text)
    return Number.isSafeInteger(ms) ? ms : undefined
  }
  if (!ISO_INSTANT.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/** ISO 8601 of an instant; null for "never" (a stalled task's Infinity). */
export function isoOrNull (instant: number): string | null {
  return Number.isFinite(instant) ? new Date(instant).toISOString() : null
}

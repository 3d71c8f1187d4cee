/**
 * Durations and instants as people type them into the control plane (and scenario files):
 * `1500` (ms), `"90s"`, `"5m"`, `"1h30m"`, `"250ms"`; instants as ISO 8601 with a zone, or epoch ms.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g
const DIGITS = /^\d+$/
/** Date and time with a zone: a bare local time would depend on the machine's time zone. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/

/** Milliseconds of a duration (whole ms, rounded), or undefined when it is not one. */
export function parseDuration (value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  const text = value.trim()
  if (DIGITS.test(text)) return safe(Number(text))
  if (!DURATION.test(text)) return undefined
  let ms = 0
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return safe(Math.round(ms))
}

/** Epoch milliseconds of an instant, or undefined when it is not one. */
export function parseInstant (value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  const text = value.trim()
  if (DIGITS.test(text)) return safe(Number(text))
  if (!ISO_INSTANT.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/** ISO 8601 of an instant; null for "never" (a stalled task's Infinity). */
export function isoOrNull (instant: number): string | null {
  return Number.isFinite(instant) ? new Date(instant).toISOString() : null
}

function safe (ms: number): number | undefined {
  return Number.isSafeInteger(ms) ? ms : undefined
}

/**
 * Durations as people write them in scenario files and control-plane calls: a number of
 * milliseconds, or a string of parts such as "500ms", "2s", "1.5m", "1h30m".
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

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

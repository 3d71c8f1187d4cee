/**
 * RFC 3339 timestamps (section 5.6), as `watch/all/{since}` takes them: a full date, `T` (or `t`,
 * or a space, which the RFC allows), a full time with optional fractions, and `Z` or a `±hh:mm`
 * offset, which is required. `Date.parse` is not used: it also takes forms that are not RFC 3339
 * (no offset, `+hhmm`) and refuses the leap second `:60`, which is.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

/** Milliseconds since the epoch, or undefined when the text is not an RFC 3339 timestamp. */
export function parseRfc3339 (text: string): number | undefined {
  const match = RFC3339.exec(text)
  if (match === null) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const [sign, offsetHours, offsetMinutes] = [match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)]
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) &&
    hour <= 23 && minute <= 59 && second <= 60 && offsetHours <= 23 && offsetMinutes <= 59
  if (!valid) return undefined
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are. A leap second (:60) lands on the next second.
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, Math.floor(Number(`0${match[7] ?? ''}`) * 1000))
  const offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000
  return date.getTime() - offsetMs
}

function daysIn (year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

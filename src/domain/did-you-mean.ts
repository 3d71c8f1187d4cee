/**
 * The closest known name to a mistyped one, for refusals that suggest it: an unknown flag, setting
 * key or scenario name. Levenshtein distance (the `leven` package), letter case ignored, within
 * a third of the name's length (at least two edits): a guess further away helps nobody.
 */
import { closestMatch } from 'leven'

export function closestName (given: string, known: readonly string[]): string | undefined {
  const lower = given.toLowerCase()
  const found = closestMatch(lower, known.map((name) => name.toLowerCase()), { maxDistance: Math.max(2, Math.floor(given.length / 3)) })
  return found === undefined ? undefined : known.find((name) => name.toLowerCase() === found)
}

/** `did you mean "name"?` (or `did you mean --flag?` for a flag), or '' when nothing known is close. */
export function didYouMean (given: string, known: readonly string[]): string {
  const closest = closestName(given, known)
  if (closest === undefined) return ''
  return `did you mean ${closest.startsWith('-') ? closest : JSON.stringify(closest)}?`
}

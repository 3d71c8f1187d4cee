import t from 'tap'
import { isoOrNull, parseDuration, parseInstant } from '../../src/domain/durations.ts'

t.test('durations: milliseconds, or amounts with units', async (t) => {
  t.equal(parseDuration(1500), 1500)
  t.equal(parseDuration(0), 0)
  t.equal(parseDuration('2500'), 2500, 'digits are milliseconds')
  t.equal(parseDuration('250ms'), 250)
  t.equal(parseDuration('90s'), 90_000)
  t.equal(parseDuration('5m'), 300_000)
  t.equal(parseDuration('1h30m'), 5_400_000)
  t.equal(parseDuration('1d2h3m4s5ms'), 93_784_005)
  t.equal(parseDuration('1.5s'), 1500, 'decimals')
  t.equal(parseDuration(' 2m '), 120_000, 'surrounding spaces')
  t.equal(parseDuration('0.0004s'), 0, 'rounded to whole ms')
  for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) t.equal(parseDuration(bad), undefined, `number ${bad}`)
  for (const bad of ['', 'abc', '5 m', '-5s', '1h-30m', 's', '5x', 'PT5M', '9'.repeat(400), '99999999999999999d']) t.equal(parseDuration(bad), undefined, `"${bad}"`)
})

t.test('instants: ISO 8601 with a zone, or epoch ms', async (t) => {
  t.equal(parseInstant('2026-01-01T00:10:00Z'), Date.UTC(2026, 0, 1, 0, 10))
  t.equal(parseInstant('2026-01-01T00:10Z'), Date.UTC(2026, 0, 1, 0, 10), 'seconds optional')
  t.equal(parseInstant('2026-01-01T00:10:00.250Z'), Date.UTC(2026, 0, 1, 0, 10, 0, 250))
  t.equal(parseInstant('2026-01-01T02:10:00+02:00'), Date.UTC(2026, 0, 1, 0, 10), 'an offset')
  t.equal(parseInstant(1767225600000), 1767225600000)
  t.equal(parseInstant('1767225600000'), 1767225600000, 'epoch ms as digits')
  for (const bad of [-1, 1.5]) t.equal(parseInstant(bad), undefined, `number ${bad}`)
  for (const bad of ['2026-01-01T00:10:00', '2026-01-01', 'Jan 1 2026', '2026-13-45T99:99:00Z', 'now', '9'.repeat(400)]) t.equal(parseInstant(bad), undefined, `"${bad}"`)
})

t.test('ISO, or null for never', async (t) => {
  t.equal(isoOrNull(0), '1970-01-01T00:00:00.000Z')
  t.equal(isoOrNull(Infinity), null)
})

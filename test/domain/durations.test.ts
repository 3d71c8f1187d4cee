import t from 'tap'
import { isoOrNull, parseDuration, parseInstant } from '../../src/domain/durations.ts'

t.test('durations in ms or as unit strings', async (t) => {
  t.equal(parseDuration(250), 250)
  t.equal(parseDuration('500ms'), 500)
  t.equal(parseDuration('2s'), 2000)
  t.equal(parseDuration('1.5m'), 90_000)
  t.equal(parseDuration('1h30m'), 5_400_000)
  t.equal(parseDuration('0s'), 0)
  for (const bad of ['', '5', 'soon', '-1s', '1d', '2 s', 'ms']) t.equal(parseDuration(bad), undefined, bad)
  t.equal(parseDuration(-1), undefined)
  t.equal(parseDuration(Number.NaN), undefined)
})

t.test('instants: ISO 8601 with a zone, or epoch ms', async (t) => {
  t.equal(parseInstant('2026-01-01T00:10:00Z'), Date.UTC(2026, 0, 1, 0, 10))
  t.equal(parseInstant('2026-01-01T00:10Z'), Date.UTC(2026, 0, 1, 0, 10), 'seconds optional')
  t.equal(parseInstant('2026-01-01T00:10:00.250Z'), Date.UTC(2026, 0, 1, 0, 10, 0, 250))
  t.equal(parseInstant('2026-01-01T02:10:00+02:00'), Date.UTC(2026, 0, 1, 0, 10), 'an offset')
  t.equal(parseInstant(1767225600000), 1767225600000)
  t.equal(parseInstant(' 1767225600000 '), 1767225600000, 'epoch ms as digits')
  for (const bad of [-1, 1.5]) t.equal(parseInstant(bad), undefined, `number ${bad}`)
  for (const bad of ['2026-01-01T00:10:00', '2026-01-01', 'Jan 1 2026', '2026-13-45T99:99:00Z', 'now', '9'.repeat(400)]) t.equal(parseInstant(bad), undefined, `"${bad}"`)
})

t.test('ISO, or null for never', async (t) => {
  t.equal(isoOrNull(0), '1970-01-01T00:00:00.000Z')
  t.equal(isoOrNull(Infinity), null)
})

/**
 * RFC 3339 timestamps, as `watch/all/{since}` takes them.
 */
import t from 'tap'
import { parseRfc3339 } from '../../src/domain/rfc3339.ts'

t.test('reads the forms RFC 3339 allows', async (t) => {
  t.equal(parseRfc3339('2026-01-01T00:00:00Z'), Date.UTC(2026, 0, 1))
  t.equal(parseRfc3339('1997-07-16T19:20:30+01:00'), Date.UTC(1997, 6, 16, 18, 20, 30), 'an offset ahead of UTC')
  t.equal(parseRfc3339('1997-07-16T19:20:30-02:30'), Date.UTC(1997, 6, 16, 21, 50, 30), 'an offset behind UTC')
  t.equal(parseRfc3339('2026-01-01t00:00:00.25z'), Date.UTC(2026, 0, 1, 0, 0, 0, 250), 'lower case, fractions')
  t.equal(parseRfc3339('2026-01-01T00:00:00.123456789Z'), Date.UTC(2026, 0, 1, 0, 0, 0, 123), 'fractions beyond the millisecond are cut')
  t.equal(parseRfc3339('2026-01-01 12:00:00Z'), Date.UTC(2026, 0, 1, 12), 'a space for the T')
  t.equal(parseRfc3339('2016-12-31T23:59:60Z'), Date.UTC(2017, 0, 1), 'a leap second lands on the next second')
  t.equal(parseRfc3339('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29), 'a leap day')
  t.equal(parseRfc3339('2000-02-29T00:00:00Z'), Date.UTC(2000, 1, 29), 'a leap day of a 400th year')
  t.equal(parseRfc3339('0042-04-30T00:00:00Z'), new Date('0042-04-30T00:00:00Z').getTime(), 'years below 100 stay as they are')
})

t.test('refuses anything else', async (t) => {
  for (const text of [
    '', 'yesterday', '2026-01-01', '2026-01-01T00:00:00', '2026-01-01T00:00:00+0100', '2026-01-01T00:00Z',
    '2026-13-01T00:00:00Z', '2026-00-01T00:00:00Z', '2026-01-00T00:00:00Z', '2026-04-31T00:00:00Z',
    '2025-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:61Z', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00+01:60', ' 2026-01-01T00:00:00Z'
  ]) t.equal(parseRfc3339(text), undefined, JSON.stringify(text))
})

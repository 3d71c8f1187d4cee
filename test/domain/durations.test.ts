import t from 'tap'
import { parseDuration } from '../../src/domain/durations.ts'

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

import t from 'tap'
import { RetryAfterWatch } from '../../src/domain/retry-after.ts'

t.test('a retry before the window ends is early; at its end it is not, and the window goes', async (t) => {
  const watch = new RetryAfterWatch()
  t.equal(watch.isEarly('tsk_a', 'createTask', 0), false, 'no window yet')
  watch.open('tsk_a', 'createTask', 5000)
  watch.open('tsk_a', 'getTask', 9000)
  t.equal(watch.isEarly('tsk_a', 'createTask', 4999), true)
  t.equal(watch.isEarly('tsk_a', 'upload', 4999), false, 'per operation')
  t.equal(watch.isEarly('tsk_b', 'createTask', 4999), false, 'per key')
  t.equal(watch.isEarly('tsk_a', 'createTask', 5000), false, 'exactly at Retry-After is on time')
  t.equal(watch.isEarly('tsk_a', 'createTask', 1000), false, 'the window was dropped once over')
  t.equal(watch.isEarly('tsk_a', 'getTask', 9000), false)
  t.equal(watch.isEarly('tsk_a', 'getTask', 1000), false, 'the key has no window left')
})

t.test('reset forgets one key, or every key', async (t) => {
  const watch = new RetryAfterWatch()
  watch.open('tsk_a', 'createTask', 5000)
  watch.open('tsk_b', 'createTask', 5000)
  watch.reset('tsk_a')
  t.equal(watch.isEarly('tsk_a', 'createTask', 0), false)
  t.equal(watch.isEarly('tsk_b', 'createTask', 0), true)
  watch.reset()
  t.equal(watch.isEarly('tsk_b', 'createTask', 0), false)
})

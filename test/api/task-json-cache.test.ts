import t from 'tap'
import { TaskJsonCache } from '../../src/api/task-json-cache.ts'

const state = (progress: number) => ({ status: 'running' as const, progress, queuingNum: -1, runningLeftTime: 3 })
const a = { id: 'a' }
const b = { id: 'b' }
const c = { id: 'c' }

t.test('an answer is reused while nothing a client could see has changed', async (t) => {
  const cache = new TaskJsonCache(2)
  cache.set(a, 'http://x', 10, state(5), '{"a":1}')
  t.equal(cache.get(a, 'http://x', 10, state(5)), '{"a":1}')
  t.equal(cache.get(a, 'http://x', 11, state(5)), undefined, 'another second: other URL signatures')
  t.equal(cache.get(a, 'http://y', 10, state(5)), undefined, 'another host')
  t.equal(cache.get(a, 'http://x', 10, state(10)), undefined, 'another state')
  t.equal(cache.get(b, 'http://x', 10, state(5)), undefined)
  t.equal(cache.get({ id: 'a' }, 'http://x', 10, state(5)), undefined, 'another record under the same id (an imported snapshot\'s)')
})

t.test('bounded: the least recently read task falls out', async (t) => {
  const cache = new TaskJsonCache(2)
  cache.set(a, 'h', 1, state(0), 'A')
  cache.set(b, 'h', 1, state(0), 'B')
  cache.set(a, 'h', 1, state(0), 'A')
  cache.set(c, 'h', 1, state(0), 'C')
  t.equal(cache.size, 2)
  t.equal(cache.get(b, 'h', 1, state(0)), undefined, 'b was the least recently set')
  t.equal(cache.get(a, 'h', 1, state(0)), 'A')
})

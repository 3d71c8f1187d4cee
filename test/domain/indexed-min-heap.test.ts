/**
 * The indexed heap: always yields the smallest key, and re-keys or removes any value in place.
 */
import t, { type Test } from 'tap'
import { IndexedMinHeap } from '../../src/domain/indexed-min-heap.ts'

const drain = (t: Test, heap: IndexedMinHeap<string>): string[] => {
  const out: string[] = []
  while (heap.size > 0) {
    const value = heap.peek() as string
    out.push(value)
    t.ok(heap.delete(value))
  }
  return out
}

t.test('yields values by key, whatever the insertion order', async (t) => {
  const heap = new IndexedMinHeap<string>()
  t.equal(heap.peekKey(), undefined)
  t.equal(heap.peek(), undefined)
  for (const [value, key] of [['e', 5], ['b', 2], ['d', 4], ['a', 1], ['c', 3], ['f', 6]] as const) heap.set(value, key)
  t.equal(heap.size, 6)
  t.equal(heap.peekKey(), 1)
  t.same(drain(t, heap), ['a', 'b', 'c', 'd', 'e', 'f'])
})

t.test('re-keys a value up or down', async (t) => {
  const heap = new IndexedMinHeap<string>()
  for (const [value, key] of [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]] as const) heap.set(value, key)
  heap.set('e', 0)
  heap.set('a', 10)
  heap.set('c', 3)
  t.equal(heap.size, 5, 'a re-keyed value is held once')
  t.same(drain(t, heap), ['e', 'b', 'c', 'd', 'a'])
})

t.test('removes any value, and says whether it held it', async (t) => {
  const heap = new IndexedMinHeap<string>()
  const keys = [7, 3, 9, 1, 8, 2, 6, 4, 5, 0]
  keys.forEach((key, index) => { heap.set(`v${index}`, key) })
  t.ok(heap.has('v2'))
  t.ok(heap.delete('v2'), 'an inner value')
  t.notOk(heap.has('v2'))
  t.notOk(heap.delete('v2'), 'not held any more')
  t.ok(heap.delete('v9'), 'the root (key 0)')
  t.ok(heap.delete('v7'), 'the last inserted slot')
  t.same(drain(t, heap).map((value) => keys[Number(value.slice(1))]), [1, 2, 3, 5, 6, 7, 8])

  // A removal that must move the last value up, not down.
  const up = new IndexedMinHeap<string>()
  for (const [value, key] of [['root', 0], ['left', 10], ['right', 1], ['ll', 11], ['lr', 12], ['rl', 2]] as const) up.set(value, key)
  up.delete('lr')
  up.delete('ll')
  t.same(drain(t, up), ['root', 'right', 'rl', 'left'])
})

t.test('clear forgets everything', async (t) => {
  const heap = new IndexedMinHeap<string>()
  heap.set('a', 1)
  heap.set('b', 2)
  heap.clear()
  t.equal(heap.size, 0)
  t.notOk(heap.has('a'))
  heap.set('a', 3)
  t.equal(heap.peekKey(), 3)
})

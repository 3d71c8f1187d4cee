import t from 'tap'
import { MinHeap } from '../../src/domain/min-heap.ts'

t.test('pops in key order whatever the push order', async (t) => {
  const heap = new MinHeap<string>()
  const keys = [5, 3, 8, 1, 9, 2, 7, 3, 6, 4, 0]
  for (const key of keys) heap.push(key, `v${key}`)
  t.equal(heap.size, keys.length)
  t.equal(heap.peekKey(), 0)
  t.equal(heap.peek(), 'v0')
  const popped: number[] = []
  while (heap.size > 0) popped.push(Number(heap.pop()?.slice(1)))
  t.same(popped, [...keys].sort((a, b) => a - b))
  t.equal(heap.pop(), undefined)
  t.equal(heap.peekKey(), undefined)
  heap.push(1, 'x')
  heap.clear()
  t.equal(heap.size, 0)
})

/**
 * A binary min-heap that knows where each of its values sits, so a value can be re-keyed or
 * removed in O(log n). `MinHeap` cannot do either (its users drop stale entries as they surface);
 * the watch schedule needs both, because watchers come and go and a forced task moves its next
 * instant, and it must leave no entry behind when the last watcher leaves.
 *
 * Each value is held at most once (values are compared by identity).
 */
export class IndexedMinHeap<T> {
  private readonly keys: number[] = []
  private readonly values: T[] = []
  private readonly positions = new Map<T, number>()

  get size (): number {
    return this.values.length
  }

  has (value: T): boolean {
    return this.positions.has(value)
  }

  peekKey (): number | undefined {
    return this.keys[0]
  }

  peek (): T | undefined {
    return this.values[0]
  }

  /** Inserts the value with this key, or moves it to this key if it is already held. */
  set (value: T, key: number): void {
    const index = this.positions.get(value)
    if (index === undefined) {
      this.keys.push(key)
      this.values.push(value)
      this.positions.set(value, this.values.length - 1)
      this.up(this.values.length - 1)
      return
    }
    const previous = this.keys[index] as number
    this.keys[index] = key
    if (key < previous) this.up(index)
    else this.down(index)
  }

  /** Removes the value; false when it was not held. */
  delete (value: T): boolean {
    const index = this.positions.get(value)
    if (index === undefined) return false
    this.positions.delete(value)
    const last = this.values.length - 1
    const lastKey = this.keys.pop() as number
    const lastValue = this.values.pop() as T
    if (index !== last) {
      this.keys[index] = lastKey
      this.values[index] = lastValue
      this.positions.set(lastValue, index)
      this.up(index)
      this.down(this.positions.get(lastValue) as number)
    }
    return true
  }

  clear (): void {
    this.keys.length = 0
    this.values.length = 0
    this.positions.clear()
  }

  private up (index: number): void {
    let child = index
    while (child > 0) {
      const parent = (child - 1) >> 1
      if (this.key(parent) <= this.key(child)) return
      this.swap(parent, child)
      child = parent
    }
  }

  private down (index: number): void {
    let parent = index
    const size = this.values.length
    for (;;) {
      const left = 2 * parent + 1
      const right = left + 1
      let smallest = parent
      if (left < size && this.key(left) < this.key(smallest)) smallest = left
      if (right < size && this.key(right) < this.key(smallest)) smallest = right
      if (smallest === parent) return
      this.swap(parent, smallest)
      parent = smallest
    }
  }

  private key (index: number): number {
    return this.keys[index] as number
  }

  private swap (a: number, b: number): void {
    const key = this.keys[a] as number
    this.keys[a] = this.keys[b] as number
    this.keys[b] = key
    const value = this.values[a] as T
    this.values[a] = this.values[b] as T
    this.values[b] = value
    this.positions.set(this.values[a] as T, a)
    this.positions.set(this.values[b] as T, b)
  }
}

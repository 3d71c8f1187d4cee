/**
 * A binary min-heap keyed by a number. Used wherever the emulator needs "the earliest instant"
 * among many (task completions, watcher wake-ups) without scanning them all.
 */
export class MinHeap<T> {
  private readonly keys: number[] = []
  private readonly values: T[] = []

  get size (): number {
    return this.keys.length
  }

  push (key: number, value: T): void {
    this.keys.push(key)
    this.values.push(value)
    this.up(this.keys.length - 1)
  }

  peekKey (): number | undefined {
    return this.keys[0]
  }

  peek (): T | undefined {
    return this.values[0]
  }

  pop (): T | undefined {
    const top = this.values[0]
    const lastKey = this.keys.pop()
    const lastValue = this.values.pop()
    if (this.keys.length > 0 && lastKey !== undefined) {
      this.keys[0] = lastKey
      this.values[0] = lastValue as T
      this.down(0)
    }
    return top
  }

  clear (): void {
    this.keys.length = 0
    this.values.length = 0
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
    const size = this.keys.length
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
  }
}

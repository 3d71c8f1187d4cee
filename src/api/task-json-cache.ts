/**
 * The last answer of recently read tasks, as JSON. A client polling a task gets the same bytes as
 * long as nothing it could see has changed: the task's record (an imported snapshot may bring
 * another record under the same id), its state, the base URL it reached, and the second its output
 * URLs are signed in (signatures are per second: two reads in one second sign the same URLs).
 * Bounded: the least recently read tasks fall out.
 */
import type { TaskState } from '../domain/lifecycle.ts'

/** What the cache needs of a task record: its id, and its identity. */
interface Task {
  readonly id: string
}

interface Entry {
  readonly task: Task
  readonly base: string
  readonly second: number
  readonly state: TaskState
  readonly json: string
}

export class TaskJsonCache {
  private readonly entries = new Map<string, Entry>()
  private readonly capacity: number

  constructor (capacity: number) {
    this.capacity = capacity
  }

  get (task: Task, base: string, second: number, state: TaskState): string | undefined {
    const entry = this.entries.get(task.id)
    if (entry === undefined || entry.task !== task || entry.second !== second || entry.base !== base || !sameState(entry.state, state)) return undefined
    return entry.json
  }

  set (task: Task, base: string, second: number, state: TaskState, json: string): void {
    // Re-inserting keeps the Map in read order, so the first key is the least recently read.
    this.entries.delete(task.id)
    this.entries.set(task.id, { task, base, second, state, json })
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string)
  }

  get size (): number {
    return this.entries.size
  }
}

function sameState (a: TaskState, b: TaskState): boolean {
  return a.status === b.status && a.progress === b.progress && a.queuingNum === b.queuingNum && a.runningLeftTime === b.runningLeftTime
}

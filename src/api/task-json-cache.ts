/**
 * The last answer of recently read tasks, as JSON. A client polling a task gets the same bytes as
 * long as nothing it could see has changed: the task's record (an imported snapshot may bring
 * another record under the same id), its state, the base URL it reached, and the second its output
 * URLs are signed in (signatures are per second: two reads in one second sign the same URLs).
 * Bounded: the least recently read tasks fall out.
 */
import type { FastifyRequest } from 'fastify'
import type { TaskState } from '../domain/lifecycle.ts'
import { type TaskRecord, taskState } from '../domain/task.ts'
import type { Services } from '../services.ts'
import { baseUrlOf, type LinkFor, linkMaker } from './links.ts'

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

/** Renders a task's answer for one surface, as JSON text. */
export type TaskAnswerRenderer = (task: TaskRecord, state: TaskState, linkFor: LinkFor) => string

/**
 * A task read's answer (`GET /v3/tasks/{id}`, `GET /v2/openapi/task/{id}`): the cached JSON while
 * nothing the client could see has changed, else rendered afresh and kept.
 */
export function taskAnswer (services: Services, answers: TaskJsonCache, request: FastifyRequest, taskId: string, render: TaskAnswerRenderer): string {
  const task = services.emulator.getTask(request.tenant, taskId)
  const now = services.clock.now()
  const state = taskState(task, now)
  const base = baseUrlOf(services, request)
  const second = Math.floor(now / 1000)
  let json = answers.get(task, base, second, state)
  if (json === undefined) {
    json = render(task, state, linkMaker(services, base))
    answers.set(task, base, second, state, json)
  }
  return json
}

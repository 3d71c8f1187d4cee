/**
 * Keeping up with the event stream: a bounded list that takes events as they come and shows them
 * at most once per animation frame, and the hook that follows the stream while a view is open.
 */
import { useEffect, useReducer, useRef, useState } from 'preact/hooks'
import { type KeyRef, openStream, type StreamState } from './api.ts'
import type { EventTopic } from './types.ts'

/**
 * Newest first, at most `max` items. Items that arrive while a snapshot loads wait, and join it
 * once it is in (those it already holds are dropped); while paused, they wait too, counted. An
 * item that changes (`put` of a known id) keeps its place and shows its latest state (`latest`).
 */
export class LiveList<T> {
  items: T[] = []
  private readonly newest = new Map<string, T>()
  /** Items added at the top by the last frame (to keep a scrolled view still). */
  added = 0
  paused = false
  private waiting: T[] = []
  private loading = true
  private frame = 0
  /** Something shown changed in place since the last frame. */
  private dirty = false
  private readonly max: number
  private readonly idOf: (item: T) => string
  private readonly changed: () => void

  constructor (max: number, idOf: (item: T) => string, changed: () => void) {
    this.max = max
    this.idOf = idOf
    this.changed = changed
  }

  get pending (): number {
    return this.waiting.length
  }

  /** The latest state of an item. */
  latest (item: T): T {
    return this.newest.get(this.idOf(item)) ?? item
  }

  /** A new item goes on top; a known one is updated in place, if `newer` says the change is newer. */
  put (item: T, newer: (known: T, next: T) => boolean = () => true): void {
    const id = this.idOf(item)
    const known = this.newest.get(id)
    if (known === undefined) {
      this.newest.set(id, item)
      this.add(item)
    } else if (newer(known, item)) {
      this.newest.set(id, item)
      this.schedule(true)
    }
  }

  add (item: T): void {
    this.waiting.push(item)
    if (this.waiting.length > this.max) this.waiting.splice(0, this.waiting.length - this.max)
    this.schedule()
  }

  /** The state read afresh: the list becomes the snapshot, with whatever arrived meanwhile on top. */
  reset (snapshot: T[]): void {
    const known = new Set(snapshot.map(this.idOf))
    this.waiting = this.waiting.filter((item) => !known.has(this.idOf(item)))
    this.items = snapshot.slice(0, this.max)
    for (const item of this.items) {
      const id = this.idOf(item)
      const waited = this.newest.get(id)
      // An update heard while the snapshot loaded may be newer than the snapshot: keep the one put last.
      if (waited === undefined) this.newest.set(id, item)
    }
    this.loading = false
    this.added = 0
    this.changed()
    this.schedule()
  }

  /** Starts over (the filters changed): nothing shows until the next snapshot. */
  clear (): void {
    this.items = []
    this.waiting = []
    this.newest.clear()
    this.loading = true
    this.changed()
  }

  setPaused (paused: boolean): void {
    this.paused = paused
    this.schedule(true)
  }

  dispose (): void {
    cancelAnimationFrame(this.frame)
  }

  private schedule (updated = false): void {
    this.dirty ||= updated
    if (this.frame !== 0) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.added = 0
      if (this.loading || this.paused || this.waiting.length === 0) {
        if (this.dirty) this.changed()
        this.dirty = false
        return
      }
      this.dirty = false
      const arrived = this.waiting.reverse()
      this.waiting = []
      this.added = Math.min(arrived.length, this.max)
      const kept = arrived.length >= this.max ? [] : this.items.slice(0, this.max - arrived.length)
      for (const dropped of this.items.slice(kept.length)) this.newest.delete(this.idOf(dropped))
      this.items = [...arrived.slice(0, this.max), ...kept]
      this.changed()
    })
  }
}

/** A LiveList owned by a component, re-rendering it when it changes. */
export function useLiveList<T> (max: number, idOf: (item: T) => string): LiveList<T> {
  const [, rerender] = useReducer((n: number) => n + 1, 0)
  const [list] = useState(() => new LiveList<T>(max, idOf, () => { rerender(undefined) }))
  useEffect(() => () => { list.dispose() }, [list])
  return list
}

export interface StreamWish {
  readonly topics: readonly EventTopic[]
  readonly filters?: Record<string, string | undefined>
  readonly key?: KeyRef | undefined
  /** Called with every event; `ready` starts each connection. */
  readonly onEvent: (event: string, data: any) => void
}

/** Follows the event stream while the component lives; a change of topics, filters or key reconnects. */
export function useStream (wish: StreamWish, token: string): StreamState {
  const [state, setState] = useState<StreamState>('connecting')
  const handler = useRef(wish.onEvent)
  handler.current = wish.onEvent
  const identity = JSON.stringify([wish.topics, wish.filters ?? {}, wish.key ?? null, token])
  useEffect(() => openStream({
    topics: wish.topics,
    ...(wish.filters === undefined ? {} : { filters: wish.filters }),
    key: wish.key,
    onEvent: (event, data) => { handler.current(event, data) },
    onState: setState
  }), [identity])
  return state
}

/**
 * The emulator's clock. Every task's status is computed from timestamps against it, so moving the
 * clock moves every task at once, with no timer per task.
 *
 * - `real`: wall time multiplied by a speed factor, anchored where the clock was last changed.
 * - `manual`: time moves only when told (`advance`, `set`), so tests never sleep.
 */

export type ClockMode = 'real' | 'manual'

export interface ClockState {
  readonly mode: ClockMode
  readonly speed: number
  /** Virtual time in milliseconds since the epoch. */
  readonly now: number
}

export type ClockListener = (now: number) => void

export interface Clock {
  now (): number
  state (): ClockState
  /** Moves a manual clock forward (or a real one, by shifting its anchor). */
  advance (ms: number): void
  /** Jumps to an instant; time never runs backwards, so an earlier instant is refused. */
  set (instant: number): void
  setMode (mode: ClockMode): void
  setSpeed (speed: number): void
  /**
   * Wall-clock milliseconds a client has to wait for `virtualMs` to pass: scaled by the speed in
   * real mode; unscaled in manual mode, where "waiting" means advancing the clock by that much.
   */
  wallDuration (virtualMs: number): number
  /** The inverse of `wallDuration`: virtual milliseconds that pass while a client waits `wallMs`. */
  virtualDuration (wallMs: number): number
  /** Called after every jump (advance, set, mode or speed change): the watchers re-plan. */
  onJump (listener: ClockListener): () => void
  /**
   * Resolves once `virtualMs` of emulator time have passed: after the scaled wall time on a real
   * clock, when an advance gets there on a manual one. (Injected latency waits on this.)
   */
  sleep (virtualMs: number): Promise<void>
  /** Resolves every pending sleep now (the app is closing). */
  wakeAll (): void
}

export interface ClockOptions {
  readonly mode?: ClockMode
  readonly speed?: number
  /** Virtual start instant (ms). Defaults to the wall clock. */
  readonly start?: number
  /** Wall time source, injectable for tests of the real mode. */
  readonly wallNow?: () => number
  /** Timers of the real mode's sleeps, injectable for tests. */
  readonly timers?: Timers
}

export interface Timers {
  set (fire: () => void, ms: number): unknown
  clear (handle: unknown): void
}

const NODE_TIMERS: Timers = {
  // Unref'd: a pending sleep never keeps the process alive on its own.
  set: (fire, ms) => setTimeout(fire, ms).unref(),
  clear: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}

interface Sleeper {
  readonly until: number
  readonly resolve: () => void
  timer: unknown
}

export class ClockError extends Error {
  override name = 'ClockError'
}

/**
 * The clock's range ends at the last instant with a four-digit year, 9999-12-31T23:59:59.999Z:
 * every time the emulator derives from it (a task's timeline, a URL's expiry, an STS object's
 * date) still renders, in ISO 8601, RFC 3339 and `yyyymmdd`. JavaScript's own dates end at 8.64e15.
 */
export const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** setTimeout's largest delay; a later instant is reached by re-arming (a longer one would fire at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1

const PAST_THE_RANGE = `${new Date(LATEST_INSTANT).toISOString()}, the end of its range`

export function createClock (options: ClockOptions = {}): Clock {
  const wallNow = options.wallNow ?? Date.now
  const timers = options.timers ?? NODE_TIMERS
  let mode: ClockMode = options.mode ?? 'real'
  let speed = checkSpeed(options.speed ?? 1)
  // now = anchorVirtual + (wall - anchorWall) * speed in real mode; anchorVirtual in manual mode.
  let anchorVirtual = options.start ?? wallNow()
  let anchorWall = wallNow()
  const listeners = new Set<ClockListener>()
  const sleepers = new Set<Sleeper>()

  // A real clock stops at the end of its range, however fast it runs.
  const now = (): number => mode === 'manual'
    ? anchorVirtual
    : Math.min(LATEST_INSTANT, anchorVirtual + Math.floor((wallNow() - anchorWall) * speed))

  const reanchor = (virtual: number): void => {
    anchorVirtual = virtual
    anchorWall = wallNow()
  }

  const wake = (sleeper: Sleeper): void => {
    timers.clear(sleeper.timer)
    sleepers.delete(sleeper)
    sleeper.resolve()
  }

  /** Wakes the sleepers that are due; on a real clock, times the others afresh (the speed may have changed). */
  const plan = (sleeper: Sleeper): void => {
    timers.clear(sleeper.timer)
    const left = sleeper.until - now()
    if (left <= 0) wake(sleeper)
    else if (mode === 'real') sleeper.timer = timers.set(() => plan(sleeper), Math.min(MAX_TIMER_MS, Math.ceil(left / speed)))
  }

  const jumped = (): void => {
    for (const sleeper of sleepers) plan(sleeper)
    const current = now()
    for (const listener of listeners) listener(current)
  }

  return {
    now,
    state: () => ({ mode, speed, now: now() }),
    advance (ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new ClockError('advance needs a duration of 0 ms or more')
      const current = now()
      if (ms > LATEST_INSTANT - current) throw new ClockError(`advancing by ${ms} ms would take the clock past ${PAST_THE_RANGE}; it is ${new Date(current).toISOString()}`)
      reanchor(current + ms)
      jumped()
    },
    set (instant) {
      if (!Number.isFinite(instant)) throw new ClockError('set needs a valid instant')
      if (instant > LATEST_INSTANT) throw new ClockError(`the clock cannot go past ${PAST_THE_RANGE}`)
      const current = now()
      if (instant < current) throw new ClockError(`cannot set the clock back: it is ${new Date(current).toISOString()}`)
      reanchor(instant)
      jumped()
    },
    setMode (next) {
      reanchor(now())
      mode = next
      jumped()
    },
    setSpeed (next) {
      reanchor(now())
      speed = checkSpeed(next)
      jumped()
    },
    wallDuration: (virtualMs) => mode === 'manual' ? virtualMs : virtualMs / speed,
    virtualDuration: (wallMs) => mode === 'manual' ? wallMs : wallMs * speed,
    onJump (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    sleep (virtualMs) {
      return new Promise((resolve) => {
        const sleeper: Sleeper = { until: now() + virtualMs, resolve, timer: undefined }
        sleepers.add(sleeper)
        plan(sleeper)
      })
    },
    wakeAll () {
      for (const sleeper of sleepers) wake(sleeper)
    }
  }
}

function checkSpeed (speed: number): number {
  if (!Number.isFinite(speed) || speed <= 0) throw new ClockError('speed must be a number above 0')
  return speed
}

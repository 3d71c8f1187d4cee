/**
 * Keeps one `process.nextTick` entry alive for the life of the process, so that the hidden
 * classes (V8 maps) of Node's tick objects are never collected.
 *
 * Why: V8 holds those maps weakly. A full garbage collection that runs while no tick is pending
 * frees them; the next tick gets new maps, the feedback of the object literal in `nextTick` turns
 * megamorphic for good, and from then on every tick (an HTTP request makes about fifteen) is built
 * by the runtime instead of by optimised code. Whether that happens depends on when the collector
 * runs, so it struck some starts and not others: under callgrind, 5 of 6 starts of the emulator
 * spent 163k instructions per `GET /task/{id}` instead of 123k. One retained tick keeps its map,
 * and through the maps' back pointers every map before it, alive.
 */
import { createHook } from 'node:async_hooks'

/** Where the retained tick is kept: on `process`, which lives as long as the process does. */
export const RETAINED_TICK = Symbol.for('tripo-mock.retainedTick')

function retainTick (): void {
  let retained: object | undefined
  const hook = createHook({
    init (_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') retained ??= resource
    }
  }).enable()
  process.nextTick(noop)
  hook.disable()
  // Not in a module variable: V8 may free a module variable that no function refers to.
  Object.defineProperty(process, RETAINED_TICK, { value: retained })
}

function noop (): void {}

// When this module is first evaluated: the process entry imports it before anything else.
retainTick()

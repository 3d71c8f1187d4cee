import t from 'tap'
import { ClockError, createClock, LATEST_INSTANT, MAX_TIMER_MS } from '../../src/domain/clock.ts'

t.test('a manual clock moves only when told', async (t) => {
  const clock = createClock({ mode: 'manual', start: 1000 })
  t.equal(clock.now(), 1000)
  clock.advance(500)
  t.equal(clock.now(), 1500)
  clock.set(5000)
  t.same(clock.state(), { mode: 'manual', speed: 1, now: 5000 })
  t.throws(() => clock.set(4000), ClockError, 'never backwards')
  t.throws(() => clock.advance(-1), ClockError)
  t.throws(() => clock.advance(Number.NaN), ClockError)
  t.throws(() => clock.set(Number.POSITIVE_INFINITY), ClockError)
  t.equal(clock.wallDuration(3000), 3000, 'waiting on a manual clock means advancing it')
  t.equal(clock.virtualDuration(3000), 3000, 'and its inverse is the identity too')
})

t.test('a real clock runs at its speed from its anchor', async (t) => {
  let wall = 10_000
  const clock = createClock({ mode: 'real', speed: 2, start: 0, wallNow: () => wall })
  wall += 1000
  t.equal(clock.now(), 2000)
  t.equal(clock.wallDuration(2000), 1000)
  t.equal(clock.virtualDuration(1000), 2000, 'a wall second is two virtual seconds at speed 2')
  clock.setSpeed(4)
  wall += 1000
  t.equal(clock.now(), 6000, 'the speed change keeps the time reached so far')
  clock.advance(1000)
  t.equal(clock.now(), 7000)
  clock.setMode('manual')
  wall += 5000
  t.equal(clock.now(), 7000, 'manual: frozen')
  clock.setMode('real')
  wall += 250
  t.equal(clock.now(), 8000)
  t.throws(() => clock.setSpeed(0), ClockError)
  t.throws(() => createClock({ speed: -1 }), ClockError)
})

t.test('defaults: real time, speed 1', async (t) => {
  const clock = createClock()
  t.ok(Math.abs(clock.now() - Date.now()) < 1000)
  t.equal(clock.state().mode, 'real')
})

t.test('jump listeners hear every change and can unsubscribe', async (t) => {
  const clock = createClock({ mode: 'manual', start: 0 })
  const heard: number[] = []
  const stop = clock.onJump((now) => heard.push(now))
  clock.advance(10)
  clock.set(20)
  clock.setSpeed(3)
  clock.setMode('manual')
  stop()
  clock.advance(5)
  t.same(heard, [10, 20, 20, 20])
})

t.test('sleeps: a manual clock wakes them on advance; a real one on its (scaled) timers', async (t) => {
  const manual = createClock({ mode: 'manual', start: 0 })
  const woken: string[] = []
  const sleeps = [100, 50, 0].map((ms) => manual.sleep(ms).then(() => woken.push(String(ms))))
  await Promise.resolve()
  t.same(woken, ['0'], 'a sleep of nothing ends at once')
  manual.advance(60)
  await Promise.resolve()
  t.same(woken, ['0', '50'])
  manual.wakeAll()
  await Promise.resolve()
  t.same(woken, ['0', '50', '100'], 'wakeAll ends the rest')
  await Promise.all(sleeps)

  let wall = 0
  const fired = new Map<number, { fire: () => void, ms: number }>()
  let next = 0
  const timers = {
    set: (fire: () => void, ms: number) => { fired.set(++next, { fire, ms }); return next },
    clear: (handle: unknown) => { fired.delete(handle as number) }
  }
  const real = createClock({ mode: 'real', speed: 4, start: 0, wallNow: () => wall, timers })
  let done = false
  const sleeping = real.sleep(1000).then(() => { done = true })
  t.same([...fired.values()].map((timer) => timer.ms), [250], '1 s of emulator time is 250 ms of wall time at speed 4')
  real.setSpeed(2)
  t.same([...fired.values()].map((timer) => timer.ms), [500], 're-timed when the speed changes')
  wall = 400
  const [timer] = fired.values()
  timer?.fire()
  t.same([...fired.values()].map((each) => each.ms), [100], 'woken early (clock rounding): waits the rest')
  wall = 500
  ;[...fired.values()][0]?.fire()
  await sleeping
  t.ok(done)
  t.equal(fired.size, 0, 'no timer left behind')
})

t.test('the default timers are unref\'d Node timers, cleared when the sleep ends', async (t) => {
  const clock = createClock({ mode: 'real', speed: 1, start: 0 })
  let woken = false
  const sleeping = clock.sleep(60_000).then(() => { woken = true })
  clock.wakeAll()
  await sleeping
  t.ok(woken, 'no minute waited: wakeAll ended it and cleared its timer')
})

t.test('the clock\'s range ends at 9999-12-31T23:59:59.999Z: refused past it, a real clock stops there', async (t) => {
  const clock = createClock({ mode: 'manual', start: LATEST_INSTANT - 10 })
  t.throws(() => clock.advance(11), { name: 'ClockError', message: 'advancing by 11 ms would take the clock past 9999-12-31T23:59:59.999Z, the end of its range; it is 9999-12-31T23:59:59.989Z' })
  t.throws(() => clock.set(LATEST_INSTANT + 1), { message: 'the clock cannot go past 9999-12-31T23:59:59.999Z, the end of its range' })
  t.equal(clock.now(), LATEST_INSTANT - 10, 'nothing moved')
  clock.advance(10)
  t.equal(clock.now(), LATEST_INSTANT, 'to the end, and no further')

  let wall = 0
  const fast = createClock({ mode: 'real', speed: 1e300, start: 0, wallNow: () => wall })
  wall += 1
  t.equal(fast.now(), LATEST_INSTANT, 'however fast a real clock runs')
})

t.test('a real clock\'s sleep longer than a timer can wait re-arms at the longest timer', async (t) => {
  const delays: number[] = []
  const clock = createClock({ mode: 'real', speed: 1e-6, start: 0, wallNow: () => 0, timers: { set: (_fire, ms) => { delays.push(ms) }, clear: () => {} } })
  const sleeping = clock.sleep(60_000)
  t.same(delays, [MAX_TIMER_MS], 'not a delay Node would overflow into one that fires at once')
  clock.wakeAll()
  await sleeping
})

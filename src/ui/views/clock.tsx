/**
 * Clock: its mode and speed, the emulator's time now, advancing it by chosen steps, setting it.
 */
import { useState } from 'preact/hooks'
import { call } from '../api.ts'
import { useApp } from '../context.ts'
import { emulatorNow } from '../format.ts'
import type { ClockView as Clock } from '../types.ts'
import { Problem, useAction, useTicker } from '../widgets.tsx'

const STEPS = ['1s', '10s', '1m', '5m', '1h']

export function ClockView () {
  const { clock, clockSeenAt } = useApp()
  useTicker()
  const [run, refused] = useAction()
  const [speed, setSpeed] = useState('')
  const [by, setBy] = useState('90s')
  const [to, setTo] = useState('')
  if (clock === undefined) return <section class='view'><h1>Clock</h1><p class='empty'>Reading the clock…</p></section>
  const now = new Date(emulatorNow(clock, clockSeenAt))
  const post = (path: string, body: unknown, done: string) => run(() => call<Clock>(path, { method: path === 'clock' ? 'PATCH' : 'POST', body }), done)
  return (
    <section class='view' aria-labelledby='clock-title'>
      <header class='view-head'><h1 id='clock-title'>Clock</h1></header>
      <p class='clock-now'><time dateTime={now.toISOString()}>{now.toISOString().replace('T', ' ').slice(0, 19)} UTC</time></p>
      <p>{clock.mode === 'manual' ? 'Manual: time moves only when told.' : `Real: time flows at ${clock.speed}× wall time.`}</p>
      <Problem error={refused} />
      <div class='panel'>
        <h2>Mode</h2>
        <div class='actions' role='group' aria-label='Mode'>
          <button type='button' aria-pressed={clock.mode === 'real'} onClick={() => { post('clock', { mode: 'real' }, 'The clock flows') }}>Real</button>
          <button type='button' aria-pressed={clock.mode === 'manual'} onClick={() => { post('clock', { mode: 'manual' }, 'The clock stopped: advance it by hand') }}>Manual</button>
        </div>
        <form class='actions' onSubmit={(event) => { event.preventDefault(); post('clock', { speed: Number(speed) }, `Speed ${speed}×`) }}>
          <label>Speed <input type='number' min='0' step='any' required placeholder={String(clock.speed)} value={speed} onInput={(event) => { setSpeed((event.target as HTMLInputElement).value) }} /></label>
          <button type='submit'>Set speed</button>
        </form>
      </div>
      <div class='panel'>
        <h2>Advance</h2>
        <div class='actions' role='group' aria-label='Advance by'>
          {STEPS.map((step) => <button key={step} type='button' onClick={() => { post('clock/advance', { by: step }, `Advanced ${step}`) }}>+{step}</button>)}
        </div>
        <form class='actions' onSubmit={(event) => { event.preventDefault(); post('clock/advance', { by: /^\d+$/.test(by) ? Number(by) : by }, `Advanced ${by}`) }}>
          <label>By <input type='text' required value={by} onInput={(event) => { setBy((event.target as HTMLInputElement).value) }} aria-describedby='by-help' /></label>
          <button type='submit'>Advance</button>
          <span id='by-help' class='muted'>ms, or 90s, 5m, 1h30m</span>
        </form>
        <form class='actions' onSubmit={(event) => { event.preventDefault(); post('clock/set', { to }, `Set to ${to}`) }}>
          <label>To <input type='text' required placeholder={now.toISOString()} value={to} onInput={(event) => { setTo((event.target as HTMLInputElement).value) }} /></label>
          <button type='submit'>Set</button>
        </form>
      </div>
    </section>
  )
}

/** How values read at a glance: relative times on the emulator's clock, short ids, status tones. */
import type { ClockView } from './types.ts'

/** The emulator's time now, from its last known state (a real clock keeps flowing at its speed). */
export function emulatorNow (clock: ClockView | undefined, seenAt: number): number {
  if (clock === undefined) return Date.now()
  return clock.mode === 'manual' ? clock.nowMs : clock.nowMs + (Date.now() - seenAt) * clock.speed
}

export function relativeTime (iso: string | null, now: number): string {
  if (iso === null) return 'never'
  const seconds = Math.round((now - Date.parse(iso)) / 1000)
  const ahead = seconds < 0
  const size = Math.abs(seconds)
  const text = size < 1 ? 'now' : size < 60 ? `${size}s` : size < 3600 ? `${Math.floor(size / 60)}m ${size % 60}s` : size < 86_400 ? `${Math.floor(size / 3600)}h ${Math.floor((size % 3600) / 60)}m` : `${Math.floor(size / 86_400)}d`
  if (text === 'now') return 'now'
  return ahead ? `in ${text}` : `${text} ago`
}

export const shortId = (id: string): string => id.length > 13 ? `${id.slice(0, 8)}…` : id

export type Tone = 'good' | 'bad' | 'warn' | 'busy' | 'idle'

export function statusTone (status: string): Tone {
  switch (status) {
    case 'success': return 'good'
    case 'failed': case 'banned': case 'unknown': return 'bad'
    case 'expired': case 'cancelled': return 'warn'
    case 'running': return 'busy'
    default: return 'idle'
  }
}

export function httpTone (status: number): Tone {
  if (status >= 500) return 'bad'
  if (status >= 400) return 'warn'
  return 'good'
}

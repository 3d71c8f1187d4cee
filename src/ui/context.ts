/** What every view shares: the emulator's clock, the keys it knows, the token, the global events. */
import { createContext } from 'preact'
import { useContext, useEffect, useRef } from 'preact/hooks'
import type { ClockView, KeyView } from './types.ts'

export type Listener = (event: string, data: any) => void

export interface AppState {
  readonly clock: ClockView | undefined
  /** Wall time the clock was read at (a real clock flows on from there). */
  readonly clockSeenAt: number
  readonly keys: KeyView[]
  readonly refreshKeys: () => Promise<void>
  readonly token: string
  /** The clock, resets and scenario switches, as the page's own stream hears them. */
  readonly listeners: Set<Listener>
  /** A short message for everyone (role=status). */
  readonly say: (message: string) => void
}

export const App = createContext<AppState>(undefined as unknown as AppState)

export const useApp = (): AppState => useContext(App)

/** Hears the page's global events while the component lives. */
export function useGlobalEvents (listener: Listener): void {
  const { listeners } = useApp()
  const current = useRef(listener)
  current.current = listener
  useEffect(() => {
    const each: Listener = (event, data) => { current.current(event, data) }
    listeners.add(each)
    return () => { listeners.delete(each) }
  }, [listeners])
}

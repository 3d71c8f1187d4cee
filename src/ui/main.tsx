/**
 * The dashboard: a page that steers and watches the emulator through the control plane's
 * documented routes alone. The shell holds what every view shares (the token, the clock, the keys,
 * the page's own event stream for clock jumps, resets and scenario switches) and shows the view
 * the URL names.
 */
import './style.css'
import { render } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { call, token as storedToken, unauthorized } from './api.ts'
import { App, type AppState, type Listener } from './context.ts'
import { useStream } from './live.ts'
import { parseRoute, type Route, routeHash, type View, VIEWS } from './route.ts'
import type { ClockView as Clock, KeyView } from './types.ts'
import { ClockView } from './views/clock.tsx'
import { KeysView } from './views/keys.tsx'
import { RequestsView } from './views/requests.tsx'
import { ScenariosView } from './views/scenarios.tsx'
import { StateView } from './views/state.tsx'
import { TasksView } from './views/tasks.tsx'

const TITLES: Record<View, string> = { requests: 'Requests', tasks: 'Tasks', scenarios: 'Scenarios', clock: 'Clock', keys: 'Keys and credits', state: 'State' }

function useRoute (): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const changed = (): void => { setRoute(parseRoute(location.hash)) }
    window.addEventListener('hashchange', changed)
    return () => { window.removeEventListener('hashchange', changed) }
  }, [])
  return route
}

function Shell () {
  const route = useRoute()
  const [token, setToken] = useState(storedToken.get())
  const [needsToken, setNeedsToken] = useState(false)
  const [clock, setClock] = useState<{ view: Clock, seenAt: number }>()
  const [keys, setKeys] = useState<KeyView[]>([])
  const [message, setMessage] = useState('')
  const [listeners] = useState(() => new Set<Listener>())
  const tokenField = useRef<HTMLInputElement>(null)

  useEffect(() => {
    const refused = (): void => { setNeedsToken(true) }
    unauthorized.add(refused)
    return () => { unauthorized.delete(refused) }
  }, [])
  useEffect(() => { if (needsToken) tokenField.current?.focus() }, [needsToken])
  useEffect(() => { document.title = `${TITLES[route.view]} · tripo-mock` }, [route.view])

  const refreshKeys = (): Promise<void> => call<{ keys: KeyView[] }>('keys').then(({ keys }) => { setKeys(keys) }, () => {})
  const state = useStream({
    topics: ['clock', 'resets', 'scenarios'],
    onEvent: (event, data) => {
      if (event === 'ready') {
        setNeedsToken(false)
        setClock({ view: (data as { clock: Clock }).clock, seenAt: Date.now() })
        refreshKeys()
      } else if (event === 'clock') {
        setClock({ view: data as Clock, seenAt: Date.now() })
      } else if (event === 'reset' || event === 'scenarios') {
        refreshKeys()
      }
      for (const listener of listeners) listener(event, data)
    }
  }, token)

  const app: AppState = {
    clock: clock?.view,
    clockSeenAt: clock?.seenAt ?? Date.now(),
    keys,
    refreshKeys,
    token,
    listeners,
    say: setMessage
  }
  const saveToken = (event: Event): void => {
    event.preventDefault()
    const value = tokenField.current?.value ?? ''
    storedToken.set(value)
    setToken(value)
    setMessage(value === '' ? 'Token cleared' : 'Token kept for this browser session')
  }

  return (
    <App.Provider value={app}>
      <header class='top'>
        <a class='brand' href={routeHash('requests')}>tripo-mock</a>
        <nav aria-label='Views'>
          <ul>
            {VIEWS.map((view) => (
              <li key={view}><a href={routeHash(view)} aria-current={route.view === view ? 'page' : undefined}>{TITLES[view]}</a></li>
            ))}
          </ul>
        </nav>
        <span class={`stream ${state}`} title="The page's connection to the emulator">{state === 'live' ? (clock?.view.mode === 'manual' ? 'Manual clock' : 'Live') : state}</span>
        <form class='token' onSubmit={saveToken}>
          <label>Control token <input ref={tokenField} type='password' autocomplete='off' defaultValue={token} aria-invalid={needsToken} /></label>
          <button type='submit'>Use</button>
        </form>
      </header>
      {needsToken && <p class='problem banner' role='alert'>This emulator wants its control token (controlToken): enter it above.</p>}
      <p class='visually-hidden' role='status' aria-live='polite'>{message}</p>
      {message !== '' && <p class='toast' aria-hidden='true'>{message}</p>}
      <main>
        {route.view === 'requests' && <RequestsView route={route} />}
        {route.view === 'tasks' && <TasksView route={route} />}
        {route.view === 'scenarios' && <ScenariosView route={route} />}
        {route.view === 'clock' && <ClockView />}
        {route.view === 'keys' && <KeysView />}
        {route.view === 'state' && <StateView route={route} />}
      </main>
    </App.Provider>
  )
}

render(<Shell />, document.getElementById('app') as HTMLElement)

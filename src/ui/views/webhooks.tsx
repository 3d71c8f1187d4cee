/**
 * Webhooks: the endpoints (of one key or every key; added, disabled and enabled, removed once
 * confirmed), the deliveries with their filters in the URL, one delivery with every attempt
 * (resent from here), and an event triggered for a task. Live: each attempt is a `request` event
 * of surface `webhooks`, and the page reads the lists again then, one read at a time and at most
 * one every READ_GAP_MS, so a burst of deliveries costs the emulator a read or two.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { DELIVERY_STATUSES, WEBHOOK_EVENTS } from '../../domain/webhooks/model.ts'
import { call, query } from '../api.ts'
import { useApp, useGlobalEvents } from '../context.ts'
import { httpTone, shortId, type Tone } from '../format.ts'
import { useStream } from '../live.ts'
import { type Route, routeFilters, updateRoute } from '../route.ts'
import { pretty } from './requests.tsx'
import type { WebhookAttemptView, WebhookDeliveryView, WebhookEndpointView } from '../types.ts'
import { VirtualList } from '../virtual-list.tsx'
import { Badge, ConfirmButton, DetailPane, KeyPicker, Problem, StreamBadge, useAction, useTicker, When } from '../widgets.tsx'

/** Filters of the deliveries, by their names in the URL and the query. */
const FILTERS = ['endpoint', 'event', 'task', 'status'] as const
/** Deliveries read at once (the newest); the filters find older ones. */
const LIMIT = 200
const READ_GAP_MS = 1000
const ROW_HEIGHT = 34

const DELIVERY_TONES: Record<string, Tone> = { pending: 'idle', sending: 'busy', delivered: 'good', failed: 'bad', dropped: 'warn' }
/** A pending delivery that has failed an attempt is a warning: its receiver has not taken it yet. */
const deliveryTone = (delivery: WebhookDeliveryView): Tone => delivery.status === 'pending' && delivery.attempts.length > 0 ? 'warn' : DELIVERY_TONES[delivery.status] ?? 'idle'

/** An attempt's answer: its HTTP status, or none (refused, reset, timed out). */
function Answer ({ status }: { status: number | null }) {
  return status === null ? <Badge tone='bad'>no answer</Badge> : <Badge tone={httpTone(status)}>{status}</Badge>
}

/** Calls `read` when asked, never two at once, at most one every READ_GAP_MS (asks meanwhile make one more read). */
function useCoalescedRead (read: () => Promise<void>): () => void {
  const latest = useRef(read)
  latest.current = read
  const [reader] = useState(() => {
    let busy = false
    let again = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const start = (): void => {
      busy = true
      again = false
      latest.current().finally(() => {
        timer = setTimeout(() => {
          busy = false
          if (again) start()
        }, READ_GAP_MS)
      })
    }
    return { ask: (): void => { if (busy) again = true; else start() }, stop: (): void => { clearTimeout(timer) } }
  })
  useEffect(() => () => { reader.stop() }, [reader])
  return reader.ask
}

export function WebhooksView ({ route }: { route: Route }) {
  const { token } = useApp()
  useTicker()
  const { filters, keyId, key } = routeFilters(route, FILTERS)
  const selected = route.params.get('delivery') ?? undefined
  const [endpoints, setEndpoints] = useState<WebhookEndpointView[]>([])
  const [deliveries, setDeliveries] = useState<WebhookDeliveryView[]>()
  /** Counts the reads, so that an open delivery is read again with the list. */
  const [reads, setReads] = useState(0)
  const [error, setError] = useState<unknown>()

  const refresh = useCoalescedRead(async () => {
    try {
      const [listed, found] = await Promise.all([
        call<{ endpoints: WebhookEndpointView[] }>('webhooks/endpoints', { key }),
        call<{ deliveries: WebhookDeliveryView[] }>(`webhooks/deliveries${query({ ...filters, limit: LIMIT })}`, { key })
      ])
      setError(undefined)
      setEndpoints(listed.endpoints)
      setDeliveries(found.deliveries)
      setReads((count) => count + 1)
    } catch (refused) {
      setError(refused)
    }
  })
  const state = useStream({
    topics: ['requests'],
    filters: { surface: 'webhooks' },
    key,
    onEvent: (event) => { if (event === 'ready' || event === 'skipped' || event === 'request') refresh() }
  }, token)
  // A clock jump can make deliveries that have no attempt yet (a late one); a reset forgets some.
  useGlobalEvents((event) => { if (event === 'clock' || event === 'reset') refresh() })
  useEffect(refresh, [JSON.stringify([filters, keyId])])

  const set = (name: string) => (event: Event): void => {
    updateRoute(route, { [name]: (event.target as HTMLInputElement).value })
  }
  const shown = deliveries ?? []
  return (
    <section class='view split' aria-labelledby='webhooks-title'>
      <div class='main scrolls'>
        <header class='view-head'>
          <h1 id='webhooks-title'>Webhooks</h1>
          <StreamBadge state={state} />
        </header>
        <form class='filters' aria-label='Filters' onSubmit={(event) => { event.preventDefault() }}>
          <label>Key <KeyPicker id='webhooks-key' value={keyId} onChange={(value) => { updateRoute(route, { key: value }) }} /></label>
          <label>Endpoint
            <select value={filters['endpoint'] ?? ''} onChange={set('endpoint')}>
              <option value=''>Any</option>
              {endpoints.map((endpoint) => <option key={endpoint.id} value={endpoint.id}>{endpoint.url} ({shortId(endpoint.id)})</option>)}
              {filters['endpoint'] !== undefined && !endpoints.some((endpoint) => endpoint.id === filters['endpoint']) && <option value={filters['endpoint']}>{filters['endpoint']}</option>}
            </select>
          </label>
          <label>Event
            <select value={filters['event'] ?? ''} onChange={set('event')}>
              <option value=''>Any</option>
              {WEBHOOK_EVENTS.map((event) => <option key={event} value={event}>{event}</option>)}
              {filters['event'] !== undefined && !(WEBHOOK_EVENTS as readonly string[]).includes(filters['event']) && <option value={filters['event']}>{filters['event']}</option>}
            </select>
          </label>
          <label>Task <input type='text' value={filters['task'] ?? ''} onChange={set('task')} /></label>
          <label>Status
            <select value={filters['status'] ?? ''} onChange={set('status')}>
              <option value=''>Any</option>
              {DELIVERY_STATUSES.map((status) => <option key={status} value={status}>{status}</option>)}
            </select>
          </label>
        </form>
        <Problem error={error} />
        <Endpoints endpoints={endpoints} keyChosen={keyId !== undefined} route={route} onChange={refresh} />
        <div class='side-by-side'>
          <details class='panel' open={deliveries !== undefined && endpoints.length === 0}>
            <summary>Add an endpoint</summary>
            <AddEndpoint keyId={keyId} onAdded={refresh} />
          </details>
          <details class='panel'>
            <summary>Trigger an event</summary>
            <Trigger keyId={keyId} endpoints={endpoints} onTriggered={refresh} />
          </details>
        </div>
        <h2>Deliveries <span class='muted'>newest first{shown.length === LIMIT ? `, the latest ${LIMIT} (the filters find older ones)` : ''}</span></h2>
        <div class='table-head webhooks-cols' aria-hidden='true'>
          <span>Made</span><span>Status</span><span>Event</span><span>Task</span><span>Endpoint</span><span>Key</span><span>Attempts</span>
        </div>
        {shown.length === 0
          ? <p class='empty'>{deliveries === undefined ? 'Reading the deliveries…' : 'No delivery matches yet.'}</p>
          : (
            <VirtualList
              count={shown.length} rowHeight={ROW_HEIGHT} added={0} label='Deliveries, newest first'
              row={(index) => {
                const delivery = shown[index] as WebhookDeliveryView
                const last = delivery.attempts.at(-1)
                return (
                  <button type='button' class='row webhooks-cols' data-id={delivery.id} aria-current={delivery.id === selected} onClick={() => { updateRoute(route, { delivery: delivery.id }) }}>
                    <When iso={delivery.createdAt} />
                    <Badge tone={deliveryTone(delivery)}>{delivery.status}</Badge>
                    <span>{delivery.event}</span>
                    <code>{delivery.taskId === null ? '—' : shortId(delivery.taskId)}</code>
                    <code>{shortId(delivery.endpointId)}</code>
                    <span>{delivery.key ?? '—'}</span>
                    <span>{delivery.attempts.length}{last === undefined ? '' : ` · ${last.status ?? 'no answer'}`}</span>
                  </button>
                )
              }}
            />
            )}
      </div>
      {selected !== undefined && <DeliveryDetail id={selected} reads={reads} endpoints={endpoints} route={route} onResent={refresh} />}
    </section>
  )
}

function endpointState (endpoint: WebhookEndpointView): { tone: Tone, text: string } {
  if (endpoint.enabled) return { tone: 'good', text: 'enabled' }
  return endpoint.disabledBy === 'failures' ? { tone: 'bad', text: 'disabled: failures' } : { tone: 'warn', text: 'disabled' }
}

function Endpoints ({ endpoints, keyChosen, route, onChange }: { endpoints: WebhookEndpointView[], keyChosen: boolean, route: Route, onChange: () => void }) {
  const { say } = useApp()
  const [run, refused] = useAction()
  const enable = (endpoint: WebhookEndpointView, enabled: boolean) => run(async () => {
    await call(`webhooks/endpoints/${encodeURIComponent(endpoint.id)}/${enabled ? 'enable' : 'disable'}`, { method: 'POST' })
    onChange()
  }, `${endpoint.url} ${enabled ? 'enabled' : 'disabled'}`)
  return (
    <>
      <h2>Endpoints</h2>
      <Problem error={refused} />
      {endpoints.length === 0
        ? <p class='empty'>{keyChosen ? 'No endpoint receives this key\'s events.' : 'No endpoint yet: add one below, or with the webhooks setting.'}</p>
        : (
          <table class='endpoints'>
            <thead><tr><th scope='col'>Endpoint</th><th scope='col'>For</th><th scope='col'>Events</th><th scope='col'>State</th><th scope='col'>Secret</th><th scope='col'>Actions</th></tr></thead>
            <tbody>
              {endpoints.map((endpoint) => {
                const { tone, text } = endpointState(endpoint)
                return (
                  <tr key={endpoint.id}>
                    <th scope='row'>
                      {endpoint.url}
                      <span class='links'>
                        <code>{endpoint.id}</code>
                        <a href={`#/webhooks${query({ ...Object.fromEntries(route.params), endpoint: endpoint.id, delivery: undefined })}`}>deliveries</a>
                      </span>
                    </th>
                    <td>{endpoint.key ?? 'every key'}{endpoint.origin === 'config' && <span class='muted'> (setting)</span>}</td>
                    <td>{endpoint.events.join(', ')}</td>
                    <td>
                      <Badge tone={tone}>{text}</Badge>
                      {endpoint.consecutiveFailures > 0 && <span class='muted'> {endpoint.consecutiveFailures} failed in a row</span>}
                    </td>
                    <td><details><summary>Show</summary><code>{endpoint.secret}</code></details></td>
                    <td>
                      <div class='actions'>
                        <button type='button' onClick={() => { enable(endpoint, !endpoint.enabled) }}>{endpoint.enabled ? 'Disable' : 'Enable'}</button>
                        <ConfirmButton
                          label={`Remove ${shortId(endpoint.id)}`} danger question={`Remove the endpoint ${endpoint.url}? Its waiting deliveries fail; their history stays.`}
                          onConfirm={async () => {
                            await call(`webhooks/endpoints/${encodeURIComponent(endpoint.id)}`, { method: 'DELETE' })
                            onChange()
                            say(`${endpoint.url} removed`)
                          }}
                        />
                      </div>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          )}
    </>
  )
}

function AddEndpoint ({ keyId, onAdded }: { keyId: string | undefined, onAdded: () => void }) {
  const [run, refused] = useAction()
  const [url, setUrl] = useState('')
  const [secret, setSecret] = useState('')
  const [events, setEvents] = useState<string[]>([...WEBHOOK_EVENTS])
  const [forKey, setForKey] = useState(keyId)
  useEffect(() => { setForKey(keyId) }, [keyId])
  const add = (event: Event): void => {
    event.preventDefault()
    run(async () => {
      const body = { url, ...(secret === '' ? {} : { secret }), ...(events.length === WEBHOOK_EVENTS.length ? {} : { events }) }
      await call('webhooks/endpoints', { method: 'POST', body, ...(forKey === undefined ? {} : { key: { id: forKey } }) })
      setUrl('')
      setSecret('')
      onAdded()
    }, `Endpoint ${url} added`)
  }
  return (
    <form aria-label='Add an endpoint' onSubmit={add}>
      <div class='actions'>
        <label>URL <input type='url' required placeholder='http://127.0.0.1:3000/webhooks' value={url} onInput={(event) => { setUrl((event.target as HTMLInputElement).value) }} /></label>
        <label>Secret <input type='text' autocomplete='off' placeholder='generated when left out' value={secret} onInput={(event) => { setSecret((event.target as HTMLInputElement).value) }} /></label>
      </div>
      <fieldset class='actions'>
        <legend>Events</legend>
        {WEBHOOK_EVENTS.map((name) => (
          <label key={name}>
            <input
              type='checkbox' checked={events.includes(name)}
              onChange={(event) => { const checked = (event.target as HTMLInputElement).checked; setEvents((known) => checked ? [...known, name] : known.filter((each) => each !== name)) }}
            /> {name}
          </label>
        ))}
      </fieldset>
      <div class='actions'>
        <label>For <KeyPicker id='endpoint-key' value={forKey} onChange={setForKey} /></label>
        <button type='submit' class='primary' disabled={events.length === 0}>Add endpoint</button>
      </div>
      <Problem error={refused} />
    </form>
  )
}

function Trigger ({ keyId, endpoints, onTriggered }: { keyId: string | undefined, endpoints: WebhookEndpointView[], onTriggered: () => void }) {
  const { say } = useApp()
  const [run, refused] = useAction()
  const [taskId, setTaskId] = useState('')
  const [event, setEvent] = useState('')
  const [endpoint, setEndpoint] = useState('')
  const trigger = (submitted: Event): void => {
    submitted.preventDefault()
    run(async () => {
      const body = { ...(taskId === '' ? {} : { taskId }), ...(event === '' ? {} : { event }), ...(endpoint === '' ? {} : { endpoint }) }
      const { deliveries } = await call<{ deliveries: WebhookDeliveryView[] }>('webhooks/trigger', { method: 'POST', body, ...(keyId === undefined ? {} : { key: { id: keyId } }) })
      onTriggered()
      say(deliveries.length === 0 ? 'No enabled endpoint receives that event' : `${event === '' ? 'The event' : event} made ${deliveries.length} deliver${deliveries.length === 1 ? 'y' : 'ies'}`)
    })
  }
  return (
    <form aria-label='Trigger an event' onSubmit={trigger}>
      <div class='actions'>
        <label>Task id <input type='text' value={taskId} onInput={(input) => { setTaskId((input.target as HTMLInputElement).value) }} /></label>
        <label>Event
          <select value={event} onChange={(change) => { setEvent((change.target as HTMLSelectElement).value) }}>
            <option value=''>The task's final status</option>
            {WEBHOOK_EVENTS.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
      </div>
      <div class='actions'>
        <label>To
          <select value={endpoint} onChange={(change) => { setEndpoint((change.target as HTMLSelectElement).value) }}>
            <option value=''>Every endpoint that receives it</option>
            {endpoints.map((each) => <option key={each.id} value={each.id}>{each.url} ({shortId(each.id)})</option>)}
          </select>
        </label>
        <button type='submit'>Trigger</button>
      </div>
      <p class='muted'>balance.low is about the key chosen in the filters.</p>
      <Problem error={refused} />
    </form>
  )
}

function DeliveryDetail ({ id, reads, endpoints, route, onResent }: { id: string, reads: number, endpoints: WebhookEndpointView[], route: Route, onResent: () => void }) {
  const [delivery, setDelivery] = useState<WebhookDeliveryView>()
  const [error, setError] = useState<unknown>()
  const [run, refused] = useAction()
  useEffect(() => { setDelivery(undefined) }, [id])
  useEffect(() => {
    call<WebhookDeliveryView>(`webhooks/deliveries/${encodeURIComponent(id)}`).then((read) => { setError(undefined); setDelivery(read) }, setError)
  }, [id, reads])
  const endpoint = endpoints.find((each) => each.id === delivery?.endpointId)
  const resend = () => run(async () => {
    setDelivery(await call<WebhookDeliveryView>(`webhooks/deliveries/${encodeURIComponent(id)}/resend`, { method: 'POST' }))
    onResent()
  }, 'Resent')
  return (
    <DetailPane title='Delivery' error={error} onClose={() => { updateRoute(route, { delivery: undefined }) }}>
      {delivery !== undefined && (
        <>
          <dl class='facts'>
            <dt>Delivery</dt><dd><code>{delivery.id}</code></dd>
            <dt>Status</dt>
            <dd>
              <Badge tone={deliveryTone(delivery)}>{delivery.status}</Badge>
              {delivery.nextAttemptAt !== null && <> next attempt <When iso={delivery.nextAttemptAt} /></>}
              {delivery.heldBack && ' (held back: out of order)'}
            </dd>
            <dt>Event</dt><dd>{delivery.event} <code>{delivery.eventId}</code></dd>
            {delivery.taskId !== null && <><dt>Task</dt><dd><a href={`#/tasks${query({ task: delivery.taskId })}`}>{delivery.taskId}</a> <a href={`#/webhooks${query({ task: delivery.taskId, delivery: delivery.id })}`}>its deliveries</a></dd></>}
            <dt>Endpoint</dt><dd>{endpoint?.url ?? 'removed'} <code>{delivery.endpointId}</code></dd>
            <dt>Key</dt><dd>{delivery.key ?? '—'}</dd>
            <dt>Made</dt><dd><When iso={delivery.createdAt} /></dd>
            {delivery.injectedBy !== null && <><dt>Injected by</dt><dd>{delivery.injectedBy}</dd></>}
            {delivery.note !== null && <><dt>Note</dt><dd>{delivery.note}</dd></>}
          </dl>
          <div class='actions'>
            <button type='button' disabled={delivery.status === 'sending'} onClick={() => { resend() }}>Resend</button>
            <span class='muted'>at once, with the same Tripo-Webhook-Delivery and body</span>
          </div>
          <Problem error={refused} />
          <h3>Attempts</h3>
          {delivery.attempts.length === 0 ? <p class='empty'>None yet.</p> : <Attempts attempts={delivery.attempts} />}
          <details>
            <summary>Body</summary>
            {delivery.body === null ? <p class='empty'>Rendered at the first attempt.</p> : <pre>{pretty(delivery.body)}</pre>}
          </details>
        </>
      )}
    </DetailPane>
  )
}

function Attempts ({ attempts }: { attempts: WebhookAttemptView[] }) {
  return (
    <table class='attempts' aria-label='Attempts'>
      <thead><tr><th scope='col'>#</th><th scope='col'>When</th><th scope='col'>Answer</th><th scope='col'>ms</th><th scope='col'>Response or error</th></tr></thead>
      <tbody>
        {attempts.map((attempt, index) => (
          <tr key={index}>
            <td class='num'>{index + 1}</td>
            <td><When iso={attempt.at} />{attempt.kind === 'scheduled' ? '' : <span class='muted'> {attempt.kind}</span>}</td>
            <td><Answer status={attempt.status} /></td>
            <td class='num'>{attempt.latencyMs.toFixed(1)}</td>
            <td>{attempt.error === null ? <code class='excerpt'>{attempt.response}</code> : <span class='problem-text'>{attempt.error}</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * Requests: the journal, live, with its filters in the URL, and one request in full (headers and
 * bodies, the key masked; copy as curl).
 */
import { useEffect, useState } from 'preact/hooks'
import { API_SURFACES, OPERATION_NAMES } from '../../domain/operations.ts'
import { call, query, rootUrl } from '../api.ts'
import { useApp } from '../context.ts'
import { httpTone } from '../format.ts'
import { useLiveList, useStream } from '../live.ts'
import { type Route, routeFilters, updateRoute } from '../route.ts'
import type { JournalDetailView, JournalEntryView } from '../types.ts'
import { VirtualList } from '../virtual-list.tsx'
import { Badge, DetailPane, KeyPicker, Problem, StreamBadge, useTicker, When } from '../widgets.tsx'

const OPERATIONS = [...OPERATION_NAMES, 'unknown']
const SURFACES = [...API_SURFACES, 'files', 'webhooks']
/** Filters the journal takes, by their names in the URL and the query. */
const FILTERS = ['surface', 'operation', 'status', 'code', 'injectedBy', 'traceId', 'text'] as const
const MAX_ROWS = 5000
const ROW_HEIGHT = 34

export function RequestsView ({ route }: { route: Route }) {
  const { token } = useApp()
  useTicker()
  const { filters, keyId, key } = routeFilters(route, FILTERS)
  const selected = route.params.get('selected') ?? undefined
  const list = useLiveList<JournalEntryView>(MAX_ROWS, (entry) => entry.traceId)
  const [error, setError] = useState<unknown>()

  const load = async (): Promise<void> => {
    try {
      const { entries } = await call<{ entries: JournalEntryView[] }>(`journal${query({ ...filters, limit: 1000 })}`, { key })
      setError(undefined)
      list.reset(entries)
    } catch (refused) {
      setError(refused)
    }
  }
  const state = useStream({
    topics: ['requests'],
    filters,
    key,
    onEvent: (event, data) => {
      if (event === 'ready' || event === 'skipped') load()
      else if (event === 'request') list.add(data as JournalEntryView)
    }
  }, token)
  useEffect(() => { list.clear() }, [JSON.stringify([filters, keyId])])

  const set = (name: string, replace = false) => (event: Event): void => {
    updateRoute(route, { [name]: (event.target as HTMLInputElement).value }, replace)
  }
  const entries = list.items
  return (
    <section class='view split' aria-labelledby='requests-title'>
      <div class='main'>
        <header class='view-head'>
          <h1 id='requests-title'>Requests</h1>
          <StreamBadge state={state} />
          <button type='button' aria-pressed={list.paused} onClick={() => { list.setPaused(!list.paused) }}>
            {list.paused ? `Resume (${list.pending} new)` : 'Pause'}
          </button>
        </header>
        <form class='filters' aria-label='Filters' onSubmit={(event) => { event.preventDefault() }}>
          <label>Key <KeyPicker id='filter-key' value={keyId} onChange={(value) => { updateRoute(route, { key: value }) }} /></label>
          <label>Surface
            <select value={filters['surface'] ?? ''} onChange={set('surface')}>
              <option value=''>Any</option>
              {SURFACES.map((surface) => <option key={surface} value={surface}>{surface}</option>)}
            </select>
          </label>
          <label>Operation
            <select value={filters['operation'] ?? ''} onChange={set('operation')}>
              <option value=''>Any</option>
              {OPERATIONS.map((operation) => <option key={operation} value={operation}>{operation}</option>)}
            </select>
          </label>
          <label>Status <input type='number' min='100' max='599' size={5} value={filters['status'] ?? ''} onChange={set('status')} /></label>
          <label>Code <input type='number' size={5} value={filters['code'] ?? ''} onChange={set('code')} /></label>
          <label>Rule <input type='text' placeholder='scenario or scenario/rule' value={filters['injectedBy'] ?? ''} onChange={set('injectedBy')} /></label>
          <label>Trace id <input type='text' value={filters['traceId'] ?? ''} onChange={set('traceId')} /></label>
          <label>Text <input type='search' placeholder='in URL, headers, bodies' value={filters['text'] ?? ''} onChange={set('text')} /></label>
        </form>
        <Problem error={error} />
        <div class='table-head requests-cols' aria-hidden='true'>
          <span>When</span><span>Status</span><span>Method and path</span><span>Operation</span><span>Key</span><span>Rule</span><span>ms</span>
        </div>
        {entries.length === 0
          ? <p class='empty'>No request matches yet.</p>
          : (
            <VirtualList
              count={entries.length} rowHeight={ROW_HEIGHT} added={list.added} label='Requests, newest first'
              row={(index) => {
                const entry = entries[index] as JournalEntryView
                return (
                  <button type='button' class='row requests-cols' data-id={entry.traceId} aria-current={entry.traceId === selected} onClick={() => { updateRoute(route, { selected: entry.traceId }) }}>
                    <When iso={entry.time} />
                    <Badge tone={httpTone(entry.status)}>{entry.status}{entry.code === 0 ? '' : ` · ${entry.code}`}</Badge>
                    <span class='path'><b>{entry.method}</b> {entry.path}</span>
                    <span>{entry.operation}</span>
                    <span>{entry.key ?? '—'}</span>
                    <span class='rule'>{entry.injectedBy ?? ''}</span>
                    <span class='num'>{entry.latencyMs.toFixed(1)}</span>
                  </button>
                )
              }}
            />
            )}
      </div>
      {selected !== undefined && <RequestDetail traceId={selected} route={route} />}
    </section>
  )
}

function RequestDetail ({ traceId, route }: { traceId: string, route: Route }) {
  const [detail, setDetail] = useState<JournalDetailView>()
  const [error, setError] = useState<unknown>()
  const [copied, setCopied] = useState(false)
  useEffect(() => {
    setDetail(undefined)
    setCopied(false)
    call<JournalDetailView>(`journal/${encodeURIComponent(traceId)}`).then(setDetail, setError)
  }, [traceId])
  const copy = async (): Promise<void> => {
    if (detail === undefined) return
    await navigator.clipboard.writeText(curlOf(detail))
    setCopied(true)
  }
  return (
    <DetailPane title='Request' error={error} onClose={() => { updateRoute(route, { selected: undefined }) }}>
      {detail !== undefined && (
        <>
          <dl class='facts'>
            <dt>Trace id</dt><dd><code>{detail.traceId}</code> <a href={`#/requests${query({ traceId: detail.traceId, selected: detail.traceId })}`}>only this one</a></dd>
            <dt>Answer</dt><dd><Badge tone={httpTone(detail.status)}>{detail.status}</Badge> code {detail.code} in {detail.latencyMs} ms</dd>
            <dt>When</dt><dd><When iso={detail.time} /></dd>
            <dt>Key</dt><dd>{detail.key ?? '—'}</dd>
            <dt>Operation</dt><dd>{detail.operation}{detail.surface === null ? '' : ` (${detail.surface})`}</dd>
            {detail.injectedBy !== null && <><dt>Injected by</dt><dd>{detail.injectedBy}</dd></>}
            {detail.earlyRetry && <><dt>Early retry</dt><dd>before Retry-After ran out</dd></>}
          </dl>
          <div class='actions'>
            <button type='button' onClick={() => { copy() }}>Copy as curl</button>
            <span role='status'>{copied ? 'Copied' : ''}</span>
          </div>
          <h3>{detail.method} {detail.url}</h3>
          <Headers headers={detail.request.headers} label='Request headers' />
          <Body body={detail.request.body} label='Request body' />
          <h3>Answer</h3>
          <Headers headers={detail.response.headers} label='Response headers' />
          <Body body={detail.response.body} label='Response body' />
        </>
      )}
    </DetailPane>
  )
}

function Headers ({ headers, label }: { headers: Record<string, string>, label: string }) {
  return (
    <details open>
      <summary>{label}</summary>
      <pre>{Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\n')}</pre>
    </details>
  )
}

function Body ({ body, label }: { body: JournalDetailView['request']['body'], label: string }) {
  const text = body.text === null ? null : pretty(body.text)
  return (
    <details open>
      <summary>{label}{body.truncated ? ` (first ${body.text?.length ?? 0} of ${body.length} characters)` : ''}</summary>
      {text === null ? <p class='empty'>No text body kept (a file, a form, or none).</p> : <pre>{text}</pre>}
    </details>
  )
}

export function pretty (text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

const SKIPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'accept-encoding', 'user-agent'])

/** The request as a shell command; the masked key becomes $TRIPO_API_KEY. */
export function curlOf (detail: JournalDetailView): string {
  const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`
  // A webhook attempt went to its receiver's URL (absolute); the API's requests came to the emulator.
  const parts = ['curl', '-X', detail.method, quote(/^https?:\/\//.test(detail.url) ? detail.url : rootUrl(detail.url))]
  for (const [name, value] of Object.entries(detail.request.headers)) {
    if (SKIPPED_HEADERS.has(name)) continue
    parts.push('-H', name === 'authorization' ? '"authorization: Bearer $TRIPO_API_KEY"' : quote(`${name}: ${value}`))
  }
  if (detail.request.body.text !== null && !detail.request.body.truncated) parts.push('--data-raw', quote(detail.request.body.text))
  return parts.join(' ')
}

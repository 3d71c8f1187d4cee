/**
 * The page's only way to the emulator: the control plane's documented routes, by URLs relative to
 * the page (so it works under a proxy's base path), with the control token the user gave (kept for
 * the browser session), and its event stream read with fetch (EventSource cannot send the token).
 */
import { createParser } from 'eventsource-parser'
import type { EventTopic } from './types.ts'

const TOKEN_KEY = 'tripo-mock-control-token'

/** The page is at <base>/__mock/ui/: the control plane is one level up, the emulator's root two. */
export const controlUrl = (path: string): string => new URL(`../${path}`, location.href).href
export const rootUrl = (path: string): string => new URL(`../..${path.startsWith('/') ? path : `/${path}`}`, location.href).href

export const token = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value: string): void => {
    if (value === '') sessionStorage.removeItem(TOKEN_KEY)
    else sessionStorage.setItem(TOKEN_KEY, value)
  }
}

/** A key, as the page names it: by its id (from the views), or in full (typed by the user). */
export type KeyRef = { readonly id: string } | { readonly key: string }

export class ControlError extends Error {
  readonly status: number
  readonly code: number | undefined
  constructor (status: number, code: number | undefined, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** Who hears that the token was refused (the page asks for it). */
export const unauthorized = new Set<() => void>()

function headersFor (key: KeyRef | undefined, json: boolean): Record<string, string> {
  const headers: Record<string, string> = {}
  const given = token.get()
  if (given !== '') headers['authorization'] = `Bearer ${given}`
  if (key !== undefined) {
    if ('id' in key) headers['x-tripo-mock-key-id'] = key.id
    else headers['x-tripo-mock-key'] = key.key
  }
  if (json) headers['content-type'] = 'application/json'
  return headers
}

export interface CallOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  readonly body?: unknown
  readonly key?: KeyRef | undefined
  readonly signal?: AbortSignal
}

/** Calls a control route; a refusal throws a ControlError with the emulator's own words. */
export async function call<T> (path: string, options: CallOptions = {}): Promise<T> {
  const { method = 'GET', body, key, signal } = options
  const response = await fetch(controlUrl(path), {
    method,
    headers: headersFor(key, body !== undefined),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal })
  })
  const text = await response.text()
  const json = text === '' ? undefined : JSON.parse(text) as unknown
  if (!response.ok) {
    if (response.status === 401) for (const listener of unauthorized) listener()
    const error = json as { code?: number, message?: string, detail?: string } | undefined
    throw new ControlError(response.status, error?.code, error?.detail ?? error?.message ?? `HTTP ${response.status}`)
  }
  return json as T
}

/** A query string of the values that are set. */
export function query (values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

export type StreamState = 'connecting' | 'live' | 'offline' | 'unauthorized'

export interface StreamOptions {
  readonly topics: readonly EventTopic[]
  /** The journal's filters, for the `request` events. */
  readonly filters?: Record<string, string | undefined>
  readonly key?: KeyRef | undefined
  /** Every event, with its parsed data. */
  readonly onEvent: (event: string, data: any) => void
  readonly onState: (state: StreamState) => void
}

/**
 * Follows `/__mock/events` until closed, reconnecting after a drop (a `ready` event starts every
 * connection: the page reads the state again then). Returns the function that closes it.
 */
export function openStream (options: StreamOptions): () => void {
  const abort = new AbortController()
  let retry: ReturnType<typeof setTimeout> | undefined
  const connect = async (): Promise<void> => {
    options.onState('connecting')
    try {
      const response = await fetch(controlUrl(`events${query({ topics: options.topics.join(','), ...options.filters })}`), {
        headers: headersFor(options.key, false),
        signal: abort.signal
      })
      if (response.status === 401) {
        options.onState('unauthorized')
        for (const listener of unauthorized) listener()
        return
      }
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`)
      options.onState('live')
      const parser = createParser({ onEvent: (message) => { options.onEvent(message.event ?? 'message', JSON.parse(message.data)) } })
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        parser.feed(value)
      }
      throw new Error('the stream ended')
    } catch {
      if (abort.signal.aborted) return
      options.onState('offline')
      retry = setTimeout(() => { connect() }, 2000)
    }
  }
  connect()
  return () => {
    clearTimeout(retry)
    abort.abort()
  }
}

/**
 * The request journal: a bounded ring of the latest requests to the emulated API (downloads and
 * uploads included, the control plane never), and of the webhook delivery attempts the emulator
 * makes (operation `deliverWebhook`, surface `webhooks`). Recording is O(1) and keeps only the
 * entry; reads scan the ring, which is small and bounded (`journalSize`), newest first.
 *
 * Entries keep the full API key so that a filter can match it exactly; whoever shows an entry
 * masks it (`maskKey`). They also keep what the dashboard's detail pane shows (the URL, headers and
 * bodies) by reference, as the request left them: nothing is copied per request but a body longer
 * than the recorder's bound.
 */
import type { ApiSurface, Operation } from './operations.ts'
import { maskKey } from './tenants.ts'

/** The operation of a request, or `unknown` when no route matched. */
export type JournalOperation = Operation | 'unknown'

/** Where a request went: V3, V2, or the file routes (downloads, S3 puts) both share; `webhooks` for the emulator's own delivery attempts. */
export type JournalSurface = ApiSurface | 'files' | 'webhooks'

/** A body longer than the journal keeps: its first characters, and how long it was. */
export interface TruncatedText {
  readonly text: string
  readonly total: number
}

/** A body as the journal keeps it: whole, or truncated. */
export type KeptText = string | TruncatedText

export type HeaderValues = Readonly<Record<string, string | string[] | number | undefined>>

export interface JournalEntry {
  /** When the answer was sent, on the emulator's clock (ms). */
  readonly time: number
  readonly traceId: string
  /** The API key, when the request carried one. */
  readonly key: string | undefined
  readonly operation: JournalOperation
  /** null for a request no route took outside `/v3` and `/v2/openapi`. */
  readonly surface: JournalSurface | null
  readonly method: string
  /** Without the query string (signed URLs carry their signature there). */
  readonly path: string
  readonly status: number
  /** 0 on success, the catalogue code of the error otherwise. */
  readonly code: number
  /** The scenario rule that decided the outcome (`<scenario>/<rule>`), if one did. */
  readonly injectedBy: string | null
  /** Wall milliseconds from the request's arrival to the end of its answer. */
  readonly latencyMs: number
  /** The key retried this operation before the Retry-After of its last 429 ran out. */
  readonly earlyRetry: boolean
  /** Path and query string, as requested. */
  readonly url: string
  readonly requestHeaders: HeaderValues
  /** The request's body as text (JSON bodies); none for bodies without a text form (multipart, binary). */
  readonly requestBody?: KeptText | undefined
  readonly responseHeaders: HeaderValues
  /** The response body as text; none for files and streams. */
  readonly responseBody?: KeptText | undefined
}

export interface JournalFilter {
  readonly key?: string
  readonly traceId?: string
  readonly operation?: JournalOperation
  readonly surface?: JournalSurface
  readonly status?: number
  /** Entries at or after this instant (emulator clock, ms). */
  readonly since?: number
  readonly earlyRetry?: boolean
  /** The error code (0: success). */
  readonly code?: number
  /** The scenario rule (`<scenario>/<rule>`), or every rule of a scenario (`<scenario>`). */
  readonly injectedBy?: string
  /** Text inside the URL, headers or bodies, in any case (the API key is searched masked). */
  readonly text?: string
}

export class Journal {
  readonly capacity: number
  private ring: Array<JournalEntry | undefined>
  /** Where the next entry goes. */
  private next = 0
  private size = 0

  constructor (capacity: number) {
    this.capacity = capacity
    this.ring = new Array<JournalEntry | undefined>(capacity)
  }

  /** Keeps an entry, evicting the oldest when full. A journal of capacity 0 keeps nothing. */
  record (entry: JournalEntry): void {
    if (this.capacity === 0) return
    this.ring[this.next] = entry
    this.next = (this.next + 1) % this.capacity
    if (this.size < this.capacity) this.size += 1
  }

  /** Matching entries, newest first, at most `limit`. */
  find (filter: JournalFilter = {}, limit = Infinity): JournalEntry[] {
    const found: JournalEntry[] = []
    for (const entry of this.newestFirst()) {
      if (found.length >= limit) break
      if (matches(entry, filter)) found.push(entry)
    }
    return found
  }

  count (filter: JournalFilter = {}): number {
    let count = 0
    for (const entry of this.newestFirst()) if (matches(entry, filter)) count += 1
    return count
  }

  /** Removes one key's entries, or every entry; returns how many went. */
  clear (key?: string): number {
    const before = this.size
    const kept = key === undefined ? [] : [...this.newestFirst()].filter((entry) => entry.key !== key).reverse()
    this.ring = new Array<JournalEntry | undefined>(this.capacity)
    this.next = 0
    this.size = 0
    for (const entry of kept) this.record(entry)
    return before - this.size
  }

  private * newestFirst (): Generator<JournalEntry> {
    for (let i = 1; i <= this.size; i++) yield this.ring[(this.next - i + this.capacity) % this.capacity] as JournalEntry
  }
}

export function matches (entry: JournalEntry, filter: JournalFilter): boolean {
  return (filter.key === undefined || entry.key === filter.key) &&
    (filter.traceId === undefined || entry.traceId === filter.traceId) &&
    (filter.operation === undefined || entry.operation === filter.operation) &&
    (filter.surface === undefined || entry.surface === filter.surface) &&
    (filter.status === undefined || entry.status === filter.status) &&
    (filter.since === undefined || entry.time >= filter.since) &&
    (filter.earlyRetry === undefined || entry.earlyRetry === filter.earlyRetry) &&
    (filter.code === undefined || entry.code === filter.code) &&
    (filter.injectedBy === undefined || injectedBy(entry, filter.injectedBy)) &&
    (filter.text === undefined || contains(entry, filter.text.toLowerCase()))
}

function injectedBy (entry: JournalEntry, rule: string): boolean {
  const by = entry.injectedBy
  return by !== null && (by === rule || by.startsWith(`${rule}/`))
}

/** The text of a kept body. */
/** A text as the journal keeps it: whole, or its first `limit` characters copied out (so the rest can go). */
export function keptText (text: string | null, limit: number): KeptText | undefined {
  if (text === null || limit === 0) return undefined
  if (text.length <= limit) return text
  // A slice would keep the whole string alive; a copy keeps only what is shown.
  return { text: Buffer.from(text.slice(0, limit)).toString(), total: text.length }
}

export function textOf (kept: KeptText | undefined): string | undefined {
  return typeof kept === 'object' ? kept.text : kept
}

/** Header values as shown: the API key masked, wherever a bearer token travels. */
export function shownHeaders (headers: HeaderValues): Record<string, string> {
  const shown: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : String(value)
    shown[name] = name === 'authorization' ? maskBearer(text) : text
  }
  return shown
}

function maskBearer (value: string): string {
  const match = /^(\s*bearer\s+)(\S+)/i.exec(value)
  return match === null ? value : `${match[1] as string}${maskKey(match[2] as string)}`
}

/** Whether `needle` (lower case) is in the URL, the headers as shown, or the bodies, in any case. */
function contains (entry: JournalEntry, needle: string): boolean {
  const found = (text: string | undefined): boolean => text !== undefined && text.toLowerCase().includes(needle)
  if (found(entry.url) || found(textOf(entry.requestBody)) || found(textOf(entry.responseBody))) return true
  for (const headers of [entry.requestHeaders, entry.responseHeaders]) {
    for (const [name, value] of Object.entries(shownHeaders(headers))) if (found(`${name}: ${value}`)) return true
  }
  return false
}

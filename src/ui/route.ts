/**
 * Every view and filter has its own URL, in the fragment (`#/tasks?key=...&task=...`): a link sent
 * to someone opens the same view, and the fragment never reaches a server or its access log.
 */
export const VIEWS = ['requests', 'tasks', 'scenarios', 'clock', 'keys', 'webhooks', 'state'] as const
export type View = typeof VIEWS[number]

export interface Route {
  readonly view: View
  readonly params: URLSearchParams
}

export function parseRoute (hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?')
  const view = (VIEWS as readonly string[]).includes(path) ? path as View : 'requests'
  return { view, params: new URLSearchParams(search) }
}

export function routeHash (view: View, params: Record<string, string | undefined> | URLSearchParams = {}): string {
  const search = new URLSearchParams()
  const entries = params instanceof URLSearchParams ? [...params] : Object.entries(params)
  for (const [name, value] of entries) if (value !== undefined && value !== '') search.set(name, value)
  const text = search.toString()
  return `#/${view}${text === '' ? '' : `?${text}`}`
}

/** Changes the params of the current view: typing in a filter replaces the entry, choosing one pushes it. */
export function updateRoute (route: Route, changes: Record<string, string | undefined>, replace = false): void {
  const params = new URLSearchParams(route.params)
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined || value === '') params.delete(name)
    else params.set(name, value)
  }
  const hash = routeHash(route.view, params)
  if (replace) {
    history.replaceState(null, '', hash)
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  } else {
    location.hash = hash
  }
}

/** What a list view reads from its URL: its filters (by their names), and the key they are narrowed to, by id. */
export function routeFilters<Name extends string> (route: Route, names: readonly Name[]): {
  readonly filters: Record<Name, string | undefined>
  readonly keyId: string | undefined
  readonly key: { readonly id: string } | undefined
} {
  const filters = Object.fromEntries(names.map((name) => [name, route.params.get(name) ?? undefined])) as Record<Name, string | undefined>
  const keyId = route.params.get('key') ?? undefined
  return { filters, keyId, key: keyId === undefined ? undefined : { id: keyId } }
}

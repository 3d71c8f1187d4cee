/**
 * Adds a hook to a route as it is registered (from an `onRoute` hook), after the route's own: the
 * way cross-cutting concerns (scenarios, the journal) attach to exactly the routes that name an
 * operation, with nothing to look up per request.
 */
import type { RouteOptions } from 'fastify'

type HookName = 'preValidation' | 'onSend' | 'onResponse'

export function appendRouteHook<K extends HookName> (route: RouteOptions, name: K, hook: NonNullable<RouteOptions[K]> extends Array<infer H> | infer H ? H : never): void {
  const existing = route[name] as unknown
  const hooks = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
  ;(route as Record<HookName, unknown>)[name] = [...hooks, hook]
}

/**
 * What the server says once it listens: where the API, its docs, the control plane and the
 * dashboard are. One log record (`event: "ready"`), with one field per place, which the JSON log
 * carries as it is and the terminal log (infra/pretty-log.ts) lays out as a banner. Each place is
 * listed when its route exists: the route table decides, not a second copy of the configuration.
 */
import type { FastifyInstance } from 'fastify'

export interface BannerLink {
  /** The field of the ready record. */
  readonly key: string
  /** How the banner and the message name it. */
  readonly label: string
  readonly url: string
}

/** Where each place is, and the route that says whether it exists. */
const PLACES: ReadonlyArray<{ readonly key: string, readonly label: string, readonly path: string, readonly route?: string }> = [
  { key: 'api', label: 'API', path: '/v3' },
  { key: 'v2', label: 'API V2 (legacy)', path: '/v2/openapi' },
  { key: 'docs', label: 'API docs', path: '/docs', route: '/docs' },
  { key: 'control', label: 'control plane', path: '/__mock', route: '/__mock/clock' },
  { key: 'controlDocs', label: 'control plane docs', path: '/__mock/docs', route: '/__mock/docs' },
  { key: 'dashboard', label: 'dashboard', path: '/__mock/ui', route: '/__mock/ui' }
]

/** The labels of the ready record's fields, for the terminal log. */
export const BANNER_LABELS: Readonly<Record<string, string>> = Object.fromEntries(PLACES.map(({ key, label }) => [key, label]))

export function bannerLinks (app: FastifyInstance, base: string): BannerLink[] {
  return PLACES
    // With or without the trailing slash: a page may be served at either.
    .filter(({ route }) => route === undefined || [route, `${route}/`].some((url) => app.hasRoute({ method: 'GET', url })))
    .map(({ key, label, path }) => ({ key, label, url: `${base}${path}` }))
}

/** The ready record: its fields (`event`, one per place) and its message. */
export function readyRecord (app: FastifyInstance, base: string, name: string, version: string): { fields: Record<string, string>, message: string } {
  const links = bannerLinks(app, base)
  return {
    fields: { event: 'ready', ...Object.fromEntries(links.map(({ key, url }) => [key, url])) },
    message: `${name} ${version} ready: ${links.map(({ label, url }) => `${label} ${url}`).join(', ')}`
  }
}

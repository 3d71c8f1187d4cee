/**
 * `/__mock/ui`: the dashboard, a static page that `npm run build` writes to dist/ui (its sources
 * are in src/ui). Served from memory, by exact file name only, with a content security policy
 * that lets it reach nothing but its own origin. No token is needed to load it: it holds no data,
 * and everything it shows comes from the control plane's routes, called with the token the user
 * gives it. It exists only while the control plane is switched on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { ApiError } from '../domain/errors.ts'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/** Its own origin only: no CDN, nothing loaded from elsewhere (a model's textures load as blobs; styles are set through the DOM). */
export const DASHBOARD_CSP = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' blob:; " +
  "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

export const uiRoutes: FastifyPluginAsync<{ dir: string }> = async (app, { dir }) => {
  const files = new Set(existsSync(dir) ? readdirSync(dir).filter((name) => extname(name) in CONTENT_TYPES) : [])
  const loaded = new Map<string, Buffer>()

  const send = (reply: FastifyReply, name: string): FastifyReply => {
    if (!files.has(name)) throw new ApiError('MOCK_NOT_FOUND', { detail: name === 'index.html' ? 'the dashboard is not built (npm run build)' : `no dashboard file ${name}` })
    let bytes = loaded.get(name)
    if (bytes === undefined) {
      bytes = readFileSync(join(dir, name))
      loaded.set(name, bytes)
    }
    // The page may change with the package; its scripts and styles carry a hash in their names.
    const cache = name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable'
    return reply
      .type(CONTENT_TYPES[extname(name)] as string)
      .header('cache-control', cache)
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .send(bytes)
  }

  const config = { surface: 'control' as const }
  const schema = { hide: true }
  // Relative, so it holds under a proxy's base path: /base/__mock/ui → /base/__mock/ui/.
  app.get('/ui', { config, schema }, async (_request, reply) => reply.redirect('ui/'))
  app.get('/ui/', { config, schema }, async (_request, reply) => send(reply, 'index.html'))
  app.get('/ui/:file', { config, schema }, async (request, reply) => send(reply, (request.params as { file: string }).file))
}

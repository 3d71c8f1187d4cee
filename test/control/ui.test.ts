/**
 * How /__mock/ui serves the dashboard's files (the page itself is tested in a browser:
 * test/ui/): by exact name, with its content security policy, without the token, only while the
 * control plane is on, and a clear answer when it was not built.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { harness } from '../fixtures/harness.ts'

function builtDashboard (t: Test, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-ui-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

t.test('the page and its files, by name, with a policy that reaches nothing but its origin', async (t) => {
  const dir = builtDashboard(t, { 'index.html': '<!doctype html><title>x</title>', 'main-ABC.js': 'console.log(1)', 'main-ABC.css': 'body{}', 'notes.txt': 'not served' })
  const h = await harness(t, { controlToken: 'sesame' }, { dashboardDir: dir })
  const bare = await h.app.inject({ url: '/__mock/ui' })
  t.equal(bare.statusCode, 302)
  t.equal(bare.headers.location, 'ui/', 'relative: it holds under a base path')
  const page = await h.app.inject({ url: '/__mock/ui/' })
  t.equal(page.statusCode, 200, 'no token needed to load the page')
  t.match(page.headers, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': /default-src 'self'/ })
  t.equal(page.body, '<!doctype html><title>x</title>')
  const script = await h.app.inject({ url: '/__mock/ui/main-ABC.js' })
  t.match(script.headers, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': /immutable/ })
  t.equal((await h.app.inject({ url: '/__mock/ui/main-ABC.js' })).body, 'console.log(1)', 'served again from memory')
  t.match((await h.app.inject({ url: '/__mock/ui/main-ABC.css' })).headers, { 'content-type': 'text/css; charset=utf-8' })
  for (const name of ['notes.txt', '..%2Fpackage.json', 'missing.js']) {
    const refused = await h.app.inject({ url: `/__mock/ui/${name}` })
    t.equal(refused.statusCode, 404, `${name} is not served`)
  }
  t.equal((await h.app.inject({ url: '/__mock/clock' })).statusCode, 401, 'the data still needs the token')
  const json = (await h.app.inject({ url: '/__mock/journal/count', headers: { authorization: 'Bearer sesame' } })).json()
  t.same(json, { count: 0 }, 'loading the page is not a journalled request')
})

t.test('not built: the page says how to build it', async (t) => {
  const h = await harness(t, {}, { dashboardDir: join(tmpdir(), 'tripo-ui-nowhere') })
  const missing = await h.app.inject({ url: '/__mock/ui/' })
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 9410, detail: 'the dashboard is not built (npm run build)' })
})

t.test('switched off with the control plane', async (t) => {
  const h = await harness(t, { controlPlane: false })
  t.equal((await h.app.inject({ url: '/__mock/ui/' })).statusCode, 404)
  t.equal((await h.app.inject({ url: '/__mock/events' })).statusCode, 404)
})

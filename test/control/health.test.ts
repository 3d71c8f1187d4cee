/**
 * /__mock/health and /__mock/ready: cheap JSON, no token; ready waits for every registered check.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadFixtures } from '../../src/infra/fixtures.ts'
import { PACKAGE_VERSION } from '../../src/infra/package-info.ts'
import { control } from '../fixtures/control.ts'
import { harness } from '../fixtures/harness.ts'

t.test('health: alive, with the version', async (t) => {
  const h = await harness(t)
  const response = await control(h)('GET', '/health')
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json/)
  t.match(response.json(), { status: 'ok', version: PACKAGE_VERSION })
  t.ok(response.json().uptimeSeconds >= 0)
})

t.test('ready: 200 when every check passes, 503 with the reasons when one does not', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const base = [{ name: 'fixtures', ready: true }, { name: 'scenarios', ready: true }]
  t.same((await call('GET', '/ready')).json(), { ready: true, checks: base }, 'the fixtures and the built-in scenarios are loaded')
  let loaded = false
  h.services.readiness.register('cache', () => loaded || 'warming up')
  const waiting = await call('GET', '/ready')
  t.equal(waiting.statusCode, 503)
  t.same(waiting.json(), { ready: false, checks: [...base, { name: 'cache', ready: false, detail: 'warming up' }] })
  loaded = true
  t.equal((await call('GET', '/ready')).statusCode, 200)
})

t.test('ready reports what did not load', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'tripo-no-scenarios-'))
  const h = await harness(t, {}, { scenariosDir: empty, fixtures: new Map() })
  const waiting = await control(h)('GET', '/ready')
  t.equal(waiting.statusCode, 503)
  t.match(waiting.json(), { ready: false, checks: [{ name: 'fixtures', ready: false, detail: /^missing sample files: textured\.glb, base\.glb/ }, { name: 'scenarios', ready: false, detail: 'no built-in scenarios loaded' }] })
})

t.test('a missing sample file stops the start with one line', async (t) => {
  t.throws(() => loadFixtures(new URL('file:///nonexistent-folder/')), { name: 'StartupError', message: /^the sample file \/nonexistent-folder\/textured\.glb is missing \(npm run fixtures makes them\)$/ })
})

/**
 * /__mock/health and /__mock/ready: cheap JSON, no token; ready waits for every registered check.
 */
import t from 'tap'
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
  const base = [{ name: 'configuration', ready: true }, { name: 'scenarios', ready: true }]
  t.same((await call('GET', '/ready')).json(), { ready: true, checks: base })
  let loaded = false
  h.services.readiness.register('fixtures', () => loaded || 'generating fixtures/')
  const waiting = await call('GET', '/ready')
  t.equal(waiting.statusCode, 503)
  t.same(waiting.json(), { ready: false, checks: [...base, { name: 'fixtures', ready: false, detail: 'generating fixtures/' }] })
  loaded = true
  t.equal((await call('GET', '/ready')).statusCode, 200)
})

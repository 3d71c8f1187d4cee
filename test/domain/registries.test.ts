/**
 * The reset and readiness registries that per-key services and loaders plug into.
 */
import t from 'tap'
import { ReadinessRegistry } from '../../src/domain/readiness.ts'
import { ResetRegistry } from '../../src/domain/resets.ts'

t.test('reset runs every participant with the key, in registration order', async (t) => {
  const resets = new ResetRegistry()
  const calls: string[] = []
  resets.register('a', (key) => calls.push(`a:${key ?? '*'}`))
  const removeB = resets.register('b', (key) => calls.push(`b:${key ?? '*'}`))
  t.same(resets.reset('tsk_x'), ['a', 'b'])
  t.same(resets.reset(), ['a', 'b'])
  t.same(calls, ['a:tsk_x', 'b:tsk_x', 'a:*', 'b:*'])
  resets.register('a', (key) => calls.push(`a2:${key ?? '*'}`))
  removeB()
  removeB()
  t.same(resets.reset('k'), ['a'], 'a name registered again replaces it; removal is idempotent')
  t.equal(calls.at(-1), 'a2:k')
})

t.test('a removal does not remove a later registration under the same name', async (t) => {
  const resets = new ResetRegistry()
  const removeFirst = resets.register('files', () => undefined)
  resets.register('files', () => undefined)
  removeFirst()
  t.same(resets.reset(), ['files'])
})

t.test('ready when every check passes; a failing or throwing check says why', async (t) => {
  const readiness = new ReadinessRegistry()
  t.same(readiness.report(), { ready: true, checks: [] })
  readiness.register('configuration', () => true)
  let loaded = false
  const removeScenarios = readiness.register('scenarios', () => loaded || 'loading scenarios/')
  t.same(readiness.report(), {
    ready: false,
    checks: [{ name: 'configuration', ready: true }, { name: 'scenarios', ready: false, detail: 'loading scenarios/' }]
  })
  loaded = true
  t.equal(readiness.report().ready, true)
  readiness.register('fixtures', () => { throw new Error('fixtures/ is missing') })
  readiness.register('odd', () => { throw 'a string' }) // eslint-disable-line no-throw-literal
  t.same(readiness.report().checks.slice(2), [
    { name: 'fixtures', ready: false, detail: 'fixtures/ is missing' },
    { name: 'odd', ready: false, detail: 'a string' }
  ])
  removeScenarios()
  readiness.register('scenarios', () => true)
  removeScenarios()
  t.equal(readiness.report().checks.find((check) => check.name === 'scenarios')?.ready, true, 'a stale removal leaves the new check')
})

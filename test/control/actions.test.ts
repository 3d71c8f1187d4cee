/**
 * The control plane's shared actions pass on what is not a refusal: a bug stays a bug (a 500 over
 * HTTP, a thrown error in process), never a 9400 that blames the caller.
 */
import t from 'tap'
import { reloadScenarios } from '../../src/control/actions.ts'
import { type Services } from '../../src/services.ts'

t.test('a scenario reload that fails for another reason than a bad scenario is passed on', async (t) => {
  const broken = { reloadScenarios () { throw new TypeError('the disk is on fire') } } as unknown as Services
  t.throws(() => reloadScenarios(broken), new TypeError('the disk is on fire'))
})

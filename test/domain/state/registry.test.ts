/**
 * The state registry: parts register (and unregister) their sections, the document's schema is
 * composed from them, and an import is all or nothing across parts: every part checks before any
 * part applies.
 */
import t from 'tap'
import { Type } from 'typebox'
import { createClock } from '../../../src/domain/clock.ts'
import { type StatePart, StateError, StateRegistry } from '../../../src/domain/state/registry.ts'

const START = Date.UTC(2026, 0, 1)

function registry () {
  const clock = createClock({ mode: 'manual', start: START })
  return { clock, state: new StateRegistry({ clock, emulatorVersion: '9.9.9' }) }
}

/** A part that holds a list of words, and logs what it is asked. */
function words (name: string, held: string[], log: string[], refuse?: string): StatePart<string[]> {
  return {
    name,
    schema: Type.Array(Type.String()),
    export: (key) => key === undefined ? [...held] : held.filter((word) => word.startsWith(key)),
    prepare (section = [], context) {
      log.push(`${name} checks (shift ${context.shift})`)
      if (refuse !== undefined && section.includes(refuse)) throw new StateError(`${name}: ${refuse} refused`)
      return () => {
        log.push(`${name} applies`)
        held.splice(0, held.length, ...section)
        return { words: held.length }
      }
    }
  }
}

t.test('the document holds the envelope and one section per part; one key\'s document names it', async (t) => {
  const { clock, state } = registry()
  state.register(words('colours', ['red', 'blue'], []))
  t.same(state.export({ writtenAt: 'w' }), { format: 'tripo-mock/state', version: 1, writtenAt: 'w', emulatorVersion: '9.9.9', clock: clock.state(), colours: ['red', 'blue'] })
  t.same(state.export({ key: 'r', writtenAt: 'w' }), { format: 'tripo-mock/state', version: 1, writtenAt: 'w', emulatorVersion: '9.9.9', key: 'r', clock: clock.state(), colours: ['red'] })
  t.match(state.schema(), { properties: { colours: { type: 'array' } } })
})

t.test('every part checks before any part applies: one refusal, and nothing is applied', async (t) => {
  const { state } = registry()
  const log: string[] = []
  const colours = ['red']
  const shapes = ['square']
  state.register(words('colours', colours, log))
  state.register(words('shapes', shapes, log, 'blob'))
  const document = { ...state.export({ writtenAt: 'w' }), colours: ['green'], shapes: ['blob'] }
  t.throws(() => state.import(document), new StateError('shapes: blob refused'))
  t.same(log, ['colours checks (shift 0)', 'shapes checks (shift 0)'])
  t.same([colours, shapes], [['red'], ['square']], 'nothing applied')

  log.length = 0
  t.same(state.import({ ...document, shapes: ['circle'] }), { scope: 'all', shiftedMs: 0, parts: { colours: { words: 1 }, shapes: { words: 1 } } })
  t.same(log, ['colours checks (shift 0)', 'shapes checks (shift 0)', 'colours applies', 'shapes applies'])
  t.same([colours, shapes], [['green'], ['circle']])
})

t.test('a part registered again replaces the first; its removal removes it, an old removal does nothing', async (t) => {
  const { state } = registry()
  const first = state.register(words('colours', ['red'], []))
  const document = state.export({ writtenAt: 'w' })
  const second = state.register(words('colours', ['blue'], []))
  t.same(state.export({ writtenAt: 'w' })['colours'], ['blue'])
  t.same(state.import(document).parts, { colours: { words: 1 } }, 'validated with the schema of the parts now registered')
  first()
  t.same(state.export({ writtenAt: 'w' })['colours'], ['red'], 'the replacing part stays')
  second()
  t.notOk('colours' in state.export({ writtenAt: 'w' }))
  t.throws(() => state.import(document), new StateError('unknown field "colours"'), 'a section no part reads is refused')
})

t.test('the shift is the importing clock\'s now minus the snapshot\'s', async (t) => {
  const { clock, state } = registry()
  const log: string[] = []
  state.register(words('colours', [], log))
  const document = state.export({ writtenAt: 'w' })
  clock.advance(5000)
  t.equal(state.import(document).shiftedMs, 5000)
  t.same(log, ['colours checks (shift 5000)', 'colours applies'])
})

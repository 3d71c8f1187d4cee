/**
 * `/__mock/clock`: read the emulator's clock, switch it between real and manual, set its speed,
 * advance it by a duration or set it to an instant. Every task moves with it (their states are
 * computed from timestamps), so a test walks a task to its end with clock calls alone.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import type { Services } from '../services.ts'
import { advanceClock, clockView, configureClock, setClock } from './actions.ts'
import { CONTROL_ERRORS, errorResponses } from './common.ts'

const ClockStateSchema = Type.Object({
  mode: StringEnum(['real', 'manual'] as const),
  speed: Type.Number({ description: 'Virtual milliseconds per wall millisecond (real mode)' }),
  now: Type.String({ description: 'The emulator\'s time, ISO 8601' }),
  nowMs: Type.Integer({ description: 'The same instant in epoch milliseconds' })
}, { title: 'ClockState' })

const DurationSchema = Type.Union([
  Type.Integer({ minimum: 0, description: 'Milliseconds' }),
  Type.String({ minLength: 1, description: 'Amounts with units ms, s, m, h, as in scenario files: "250ms", "90s", "1.5m", "1h30m"' })
], { description: 'A duration: milliseconds, or a string such as "90s", "5m", "1h30m"' })

const InstantSchema = Type.Union([
  Type.Integer({ minimum: 0, description: 'Epoch milliseconds' }),
  Type.String({ minLength: 1, description: 'ISO 8601 date-time with a zone (2026-01-01T00:10:00Z), or epoch milliseconds as digits' })
], { description: 'An instant: ISO 8601 with a zone, or epoch milliseconds' })

export const clockRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { clock } = services
  const response = { 200: ClockStateSchema, ...errorResponses(...CONTROL_ERRORS) }

  app.get('/clock', {
    config: { surface: 'control' },
    schema: { operationId: 'getClock', tags: ['clock'], summary: 'Read the clock', response }
  }, async () => clockView(clock))

  app.patch('/clock', {
    config: { surface: 'control' },
    schema: {
      operationId: 'configureClock',
      tags: ['clock'],
      summary: 'Switch the mode (real: time flows at the speed; manual: only advance/set move it) and set the speed',
      body: Type.Object({
        mode: Type.Optional(StringEnum(['real', 'manual'] as const)),
        speed: Type.Optional(Type.Number({ minimum: 0, description: 'Speed factor of the real clock, above 0' }))
      }, { additionalProperties: false, minProperties: 1 }),
      response
    }
  }, async (request) => {
    const view = configureClock(clock, request.body)
    request.log.info({ clock: clock.state() }, 'clock configured')
    return view
  })

  app.post('/clock/advance', {
    config: { surface: 'control' },
    schema: {
      operationId: 'advanceClock',
      tags: ['clock'],
      summary: 'Move the clock forward by a duration',
      body: Type.Object({ by: DurationSchema }, { additionalProperties: false }),
      response
    }
  }, async (request) => {
    const view = advanceClock(clock, request.body.by)
    request.log.info({ advancedBy: request.body.by, now: view.now }, 'clock advanced')
    return view
  })

  app.post('/clock/set', {
    config: { surface: 'control' },
    schema: {
      operationId: 'setClock',
      tags: ['clock'],
      summary: 'Jump to an instant (never backwards)',
      body: Type.Object({ to: InstantSchema }, { additionalProperties: false }),
      response
    }
  }, async (request) => {
    const view = setClock(clock, request.body.to)
    request.log.info({ now: view.now }, 'clock set')
    return view
  })
}

/**
 * `/__mock/scenarios`: list and show the built-in, file and ad-hoc scenarios; activate or
 * deactivate one globally or for one key (key in the header); add an ad-hoc scenario (the file
 * format, as JSON) and remove it; reload the scenario files.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifySchemaCompiler } from 'fastify'
import { Type } from 'typebox'
import { ScenarioFileSchema } from '../domain/scenarios/model.ts'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import { maskKey } from '../domain/tenants.ts'
import type { Services } from '../services.ts'
import { activateScenario, addScenario, checkScenario, getScenario, listScenarios, reloadScenarios, removeScenario } from './actions.ts'
import { CONTROL_ERRORS, errorResponses, KEY_HEADER, KeyHeadersSchema, keyOf } from './common.ts'

const ScenarioSummarySchema = Type.Object({
  name: Type.String(),
  description: Type.String({ description: 'What it does; empty when its file gives none' }),
  origin: StringEnum(['builtin', 'file', 'adhoc'] as const, { description: 'built-in (the package), file (scenariosDir), adhoc (added here)' }),
  file: Type.Optional(Type.String()),
  rules: Type.Integer({ description: 'How many rules' }),
  activeGlobally: Type.Boolean(),
  keys: Type.Array(Type.String(), { description: 'The keys it is bound to, masked' })
}, { title: 'ScenarioSummary' })

const ScenarioDetailSchema = Type.Object({
  ...ScenarioSummarySchema.properties,
  definition: Type.Object({}, { additionalProperties: true, description: 'The scenario as written' })
}, { title: 'Scenario' })

const NameParams = Type.Object({ name: Type.String({ minLength: 1 }) })

const ActivationSchema = Type.Object({
  name: Type.String(),
  scope: StringEnum(['global', 'key'] as const),
  active: Type.Boolean()
})

/** Ad-hoc bodies are checked by the scenario compiler itself, whose messages name the rule and field. */
const passThrough: FastifySchemaCompiler<unknown> = () => (data: unknown) => ({ value: data })

export const scenarioRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/scenarios', {
    config: { surface: 'control' },
    schema: { operationId: 'listScenarios', tags: ['scenarios'], summary: 'Every scenario, and where it is active', response: { 200: Type.Array(ScenarioSummarySchema), ...errorResponses(...CONTROL_ERRORS) } }
  }, async () => listScenarios(services))

  app.get('/scenarios/:name', {
    config: { surface: 'control' },
    schema: { operationId: 'getScenario', tags: ['scenarios'], summary: 'One scenario, as written', params: NameParams, response: { 200: ScenarioDetailSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') } }
  }, async (request) => getScenario(services, request.params.name))

  for (const action of ['activate', 'deactivate'] as const) {
    app.post(`/scenarios/:name/${action}`, {
      config: { surface: 'control' },
      schema: {
        operationId: `${action}Scenario`,
        tags: ['scenarios'],
        summary: `${action === 'activate' ? 'Activate' : 'Deactivate'} a scenario globally, or for the key in ${KEY_HEADER}`,
        params: NameParams,
        headers: KeyHeadersSchema,
        response: { 200: ActivationSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
      }
    }, async (request) => {
      const key = keyOf(services, request.headers)
      const activation = activateScenario(services, request.params.name, action === 'activate', key)
      request.log.info({ scenario: activation.name, scope: key === undefined ? 'global' : maskKey(key) }, `scenario ${action}d`)
      return activation
    })
  }

  app.post('/scenarios', {
    config: { surface: 'control' },
    schema: {
      operationId: 'addScenario',
      tags: ['scenarios'],
      summary: 'Add (or replace) an ad-hoc scenario: the file format, as JSON, with a name',
      body: { ...ScenarioFileSchema, required: ['name', 'rules'] },
      response: { 201: ScenarioDetailSchema, ...errorResponses(...CONTROL_ERRORS) }
    },
    validatorCompiler: passThrough
  }, async (request, reply) => {
    const scenario = addScenario(services, request.body)
    request.log.info({ scenario: scenario.name }, 'ad-hoc scenario added')
    return reply.code(201).send(scenario)
  })

  app.post('/scenarios/validate', {
    config: { surface: 'control' },
    schema: {
      operationId: 'validateScenario',
      tags: ['scenarios'],
      summary: 'Check an ad-hoc scenario without adding it: what adding it would refuse, naming the rule and field',
      body: { ...ScenarioFileSchema, required: ['name', 'description', 'rules'] },
      response: {
        200: Type.Object({
          valid: Type.Boolean(),
          message: Type.Optional(Type.String({ description: 'Why it would be refused' }))
        }, { title: 'ScenarioCheck' }),
        ...errorResponses(...CONTROL_ERRORS)
      }
    },
    validatorCompiler: passThrough
  }, async (request) => checkScenario(request.body))

  app.delete('/scenarios/:name', {
    config: { surface: 'control' },
    schema: { operationId: 'removeScenario', tags: ['scenarios'], summary: 'Remove an ad-hoc scenario (and its activations)', params: NameParams, response: { 200: Type.Object({ removed: Type.String() }), ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') } }
  }, async (request) => {
    const removed = removeScenario(services, request.params.name)
    request.log.info({ scenario: removed.removed }, 'ad-hoc scenario removed')
    return removed
  })

  app.post('/scenarios/reload', {
    config: { surface: 'control' },
    schema: {
      operationId: 'reloadScenarios',
      tags: ['scenarios'],
      summary: 'Re-read the scenario files; all or nothing (a bad file leaves the loaded set in place)',
      response: { 200: Type.Object({ loaded: Type.Integer({ description: 'Scenarios now loaded from files' }) }), ...errorResponses(...CONTROL_ERRORS) }
    }
  }, async (request) => {
    const reloaded = reloadScenarios(services)
    request.log.info(reloaded, 'scenarios reloaded')
    return reloaded
  })
}

/**
 * `/__mock/scenarios`: list and show the built-in, file and ad-hoc scenarios; activate or
 * deactivate one globally or for one key (key in the header); add an ad-hoc scenario (the file
 * format, as JSON) and remove it; reload the scenario files.
 */
import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type FastifySchemaCompiler } from 'fastify'
import { Type } from 'typebox'
import { ApiError } from '../domain/errors.ts'
import { compileScenario, type ScenarioError } from '../domain/scenarios/compile.ts'
import { type Scenario, ScenarioFileSchema } from '../domain/scenarios/model.ts'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import { maskKey } from '../domain/tenants.ts'
import { type Services } from '../services.ts'
import { badRequest, CONTROL_ERRORS, errorResponses, KEY_HEADER, OptionalKeyHeaderSchema } from './common.ts'

const ScenarioSummarySchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
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
  const { scenarios } = services

  const summary = (scenario: Scenario) => {
    const keys = Object.entries(scenarios.bindings()).filter(([, names]) => names.includes(scenario.name)).map(([key]) => maskKey(key))
    return {
      name: scenario.name,
      description: scenario.description,
      origin: scenario.origin,
      ...(scenario.file === undefined ? {} : { file: scenario.file }),
      rules: scenario.rules.length,
      activeGlobally: scenarios.activeGlobally().includes(scenario.name),
      keys
    }
  }

  app.get('/scenarios', {
    config: { surface: 'control' },
    schema: { operationId: 'listScenarios', tags: ['scenarios'], summary: 'Every scenario, and where it is active', response: { 200: Type.Array(ScenarioSummarySchema), ...errorResponses(...CONTROL_ERRORS) } }
  }, async () => scenarios.list().map(summary))

  app.get('/scenarios/:name', {
    config: { surface: 'control' },
    schema: { operationId: 'getScenario', tags: ['scenarios'], summary: 'One scenario, as written', params: NameParams, response: { 200: ScenarioDetailSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') } }
  }, async (request) => {
    const scenario = scenarios.get(request.params.name)
    if (scenario === undefined) throw new ApiError('MOCK_NOT_FOUND', { detail: `unknown scenario "${request.params.name}"` })
    return { ...summary(scenario), definition: scenario.source }
  })

  for (const action of ['activate', 'deactivate'] as const) {
    app.post(`/scenarios/:name/${action}`, {
      config: { surface: 'control' },
      schema: {
        operationId: `${action}Scenario`,
        tags: ['scenarios'],
        summary: `${action === 'activate' ? 'Activate' : 'Deactivate'} a scenario globally, or for the key in ${KEY_HEADER}`,
        params: NameParams,
        headers: OptionalKeyHeaderSchema,
        response: { 200: ActivationSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
      }
    }, async (request) => {
      const key = request.headers[KEY_HEADER]
      if (action === 'activate') scenarios.activate(request.params.name, key)
      else scenarios.deactivate(request.params.name, key)
      request.log.info({ scenario: request.params.name, scope: key === undefined ? 'global' : maskKey(key) }, `scenario ${action}d`)
      return { name: request.params.name, scope: key === undefined ? 'global' as const : 'key' as const, active: action === 'activate' }
    })
  }

  app.post('/scenarios', {
    config: { surface: 'control' },
    schema: {
      operationId: 'addScenario',
      tags: ['scenarios'],
      summary: 'Add (or replace) an ad-hoc scenario: the file format, as JSON, with a name',
      body: { ...ScenarioFileSchema, required: ['name', 'description', 'rules'] },
      response: { 201: ScenarioDetailSchema, ...errorResponses(...CONTROL_ERRORS) }
    },
    validatorCompiler: passThrough
  }, async (request, reply) => {
    const body = request.body as { name?: unknown } | null
    let scenario: Scenario
    try {
      scenario = compileScenario(body, { origin: 'adhoc', ...(typeof body?.name === 'string' ? { where: `ad-hoc scenario "${body.name}"` } : {}) })
    } catch (error) {
      // compileScenario refuses with ScenarioError only.
      throw badRequest((error as ScenarioError).message)
    }
    scenarios.addAdhoc(scenario)
    request.log.info({ scenario: scenario.name }, 'ad-hoc scenario added')
    return reply.code(201).send({ ...summary(scenario), definition: scenario.source })
  })

  app.delete('/scenarios/:name', {
    config: { surface: 'control' },
    schema: { operationId: 'removeScenario', tags: ['scenarios'], summary: 'Remove an ad-hoc scenario (and its activations)', params: NameParams, response: { 200: Type.Object({ removed: Type.String() }), ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') } }
  }, async (request) => {
    scenarios.removeAdhoc(request.params.name)
    request.log.info({ scenario: request.params.name }, 'ad-hoc scenario removed')
    return { removed: request.params.name }
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
    try {
      services.reloadScenarios()
    } catch (error) {
      // A reload refuses with ScenarioError only (unreadable folders included).
      throw badRequest((error as ScenarioError).message)
    }
    const loaded = scenarios.list().filter((scenario) => scenario.origin !== 'adhoc').length
    request.log.info({ loaded }, 'scenarios reloaded')
    return { loaded }
  })
}

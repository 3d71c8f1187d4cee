/**
 * The 20 creation endpoints of V3 (reference §3.1-3.5), one per capability of the domain's
 * catalogue: each parses its body, hands the capability's request to the emulator, and answers
 * `{"task_id","type","status"}`. The rules (and their errors) are the domain's.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CAPABILITIES, type Capability, taskRequestOf } from '../../domain/capabilities/index.ts'
import type { Params } from '../../domain/task-types/index.ts'
import { taskState } from '../../domain/task.ts'
import type { Services } from '../../services.ts'
import { COMMON_API_ERRORS, V3Envelope, v3ErrorResponses } from '../common.ts'
import { v3ValidatorCompiler } from './body-validator.ts'
import { V3_STATUSES, v3StatusOf } from './task-wire.ts'
import { StringEnum } from '../../domain/task-types/schema-kit.ts'

const CreatedSchema = V3Envelope(Type.Object({
  task_id: Type.String({ description: 'UUID of the new task' }),
  type: Type.String({ description: 'Its task type' }),
  status: StringEnum(V3_STATUSES, { description: 'Its status now (queued, unless its queue time is 0)' })
}), 'The task was created')

/** What a creation can answer (the domain's rules); the route's own body errors come first. */
const CREATION_ERRORS = v3ErrorResponses(
  'MALFORMED_BODY', 'UNSUPPORTED_MEDIA_TYPE', 'INVALID_PARAMETER', 'DEPRECATED_VERSION', 'INVALID_VERSION', 'INVALID_PROMPT_CHARACTERS',
  'CONTENT_POLICY', 'DRAFT_NOT_SUCCESS', 'UNSUPPORTED_ORIGINAL_TASK_TYPE', 'ORIGINAL_NOT_SUCCESS', 'PRERIGCHECK_WITHOUT_MODEL',
  'NOT_A_RIG_TASK', 'UNSUPPORTED_IMAGE_TYPE', 'EMPTY_IMAGE', 'INVALID_IMAGE_URL', 'TASK_NOT_FOUND', 'INSUFFICIENT_CREDIT',
  'INVALID_PRIORITY', 'GENERATION_LIMIT', ...COMMON_API_ERRORS
)

const TAG_OF: Record<Capability['group'], string> = { generation: 'generation', models: 'models', animations: 'animations', mesh: 'mesh' }

export const creationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator, clock } = services
  app.setValidatorCompiler(v3ValidatorCompiler)

  for (const capability of CAPABILITIES) {
    app.post(capability.path, {
      config: { operation: 'createTask', surface: 'v3', taskType: capability.definition.type },
      schema: {
        operationId: capability.name,
        tags: [TAG_OF[capability.group]],
        summary: capability.summary,
        description: `Creates a \`${capability.definition.type}\` task. Fields the emulator does not define pass through to \`input\`, as the real server forwards them.`,
        body: capability.schema,
        response: { 200: CreatedSchema, ...CREATION_ERRORS }
      }
    }, (request) => {
      const decided = request.scenarioFate
      const task = emulator.create(request.tenant, taskRequestOf(capability, request.body as Params), decided === null
        ? {}
        : { fate: decided.fate, fateSource: decided.source, ...(decided.delivery === undefined ? {} : { delivery: decided.delivery }) })
      request.log.info({ taskId: task.id, type: task.type, cost: task.cost, fate: decided?.fate.status }, 'task created')
      return { code: 0 as const, status: 'success' as const, data: { task_id: task.id, type: task.type, status: v3StatusOf(task, taskState(task, clock.now())).status } }
    })
  }
}

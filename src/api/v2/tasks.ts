/**
 * `POST /task` and `GET /task/{task_id}` (reference §2.1, §2.2).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { V2_TASK_TYPES } from '../../domain/task-types/index.ts'
import { COMMON_API_ERRORS, Envelope, errorResponses } from '../common.ts'
import type { Services } from '../../services.ts'
import { createTaskValidatorCompiler, ignoredFieldsOf } from './create-task-validator.ts'
import { TaskJsonCache, taskAnswer, type TaskAnswerRenderer } from '../task-json-cache.ts'
import { TaskSchema, toWireTask } from './task-wire.ts'

/** For OpenAPI: one body schema per task type, told apart by `type`. */
const CreateTaskBodySchema = Type.Union(
  [...V2_TASK_TYPES.values()].map((definition) => ({ ...definition.schema, title: definition.type, description: definition.summary })),
  { description: 'A task of any documented type; the parameters depend on `type`' }
)

export const tasksRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator } = services
  const answers = new TaskJsonCache(1024)

  // Both handlers are synchronous, so the hot path makes no promise per request; a throw still
  // reaches the error handler (Fastify catches it).

  app.post('/task', {
    config: { operation: 'createTask', surface: 'v2' },
    schema: {
      operationId: 'createTask',
      tags: ['tasks'],
      summary: 'Create a task',
      body: { ...CreateTaskBodySchema, discriminator: { propertyName: 'type' } },
      response: {
        200: Envelope(Type.Object({ task_id: Type.String({ description: 'UUID of the new task' }) }), 'The task was created'),
        ...errorResponses(
          'MALFORMED_BODY', 'INVALID_PARAMETER', 'UNSUPPORTED_TASK_TYPE', 'DEPRECATED_TYPE', 'DEPRECATED_VERSION',
          'INVALID_VERSION', 'INVALID_PROMPT_CHARACTERS', 'CONTENT_POLICY', 'DRAFT_NOT_SUCCESS',
          'UNSUPPORTED_ORIGINAL_TASK_TYPE', 'ORIGINAL_NOT_SUCCESS', 'PRERIGCHECK_WITHOUT_MODEL', 'NOT_A_RIG_TASK',
          'UNSUPPORTED_IMAGE_TYPE', 'EMPTY_IMAGE', 'AUDIT_ERROR', 'MODEL_TOO_COMPLEX', 'TASK_NOT_FOUND', 'FILE_NOT_FOUND',
          'INSUFFICIENT_CREDIT', 'INVALID_PRIORITY', 'GENERATION_LIMIT', ...COMMON_API_ERRORS
        )
      }
    },
    validatorCompiler: createTaskValidatorCompiler
  }, (request) => {
    const params = request.body as Record<string, unknown>
    const ignored = ignoredFieldsOf(params)
    if (ignored.length > 0) request.log.info({ ignored }, 'ignored fields the task type does not define')
    const decided = request.scenarioFate
    const task = emulator.createTask(request.tenant, params, decided === null ? {} : { fate: decided.fate, fateSource: decided.source, ...(decided.delivery === undefined ? {} : { delivery: decided.delivery }) })
    request.log.info({ taskId: task.id, type: task.type, cost: task.cost, fate: decided?.fate.status }, 'task created')
    return { code: 0 as const, data: { task_id: task.id } }
  })

  app.get('/task/:task_id', {
    config: { operation: 'getTask', surface: 'v2' },
    schema: {
      operationId: 'getTask',
      tags: ['tasks'],
      summary: 'Get a task',
      params: Type.Object({ task_id: Type.String({ description: 'UUID returned by POST /task' }) }),
      response: {
        200: Envelope(TaskSchema, 'The task'),
        ...errorResponses('TASK_NOT_FOUND', 'GENERATION_LIMIT', ...COMMON_API_ERRORS)
      }
    },
    // The answer is JSON text already (seed field order; cached while unchanged): sent as it is.
    serializerCompiler: () => (data) => JSON.stringify(data)
  }, (request, reply) => {
    reply.type('application/json; charset=utf-8').send(taskAnswer(services, answers, request, request.params.task_id, renderV2) as never)
  })
}

const renderV2: TaskAnswerRenderer = (task, state, linkFor) => `{"code":0,"data":${JSON.stringify(toWireTask(task, state, linkFor))}}`

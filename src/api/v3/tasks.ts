/**
 * `GET /v3/tasks/{task_id}` and `POST /v3/tasks/list` (V3 reference §3.6). A list answers the
 * reference's map of id → task plus `missed` (the ids the key has no task for), not the SDK
 * types' array (reference §0.2).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { taskState } from '../../domain/task.ts'
import type { Services } from '../../services.ts'
import { COMMON_API_ERRORS, V3Envelope, v3ErrorResponses } from '../common.ts'
import { baseUrlOf, linkMaker } from '../links.ts'
import { TaskJsonCache, taskAnswer, type TaskAnswerRenderer } from '../task-json-cache.ts'
import { v3ValidatorCompiler } from './body-validator.ts'
import { toV3Task, V3TaskSchema } from './task-wire.ts'

export const tasksRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator, clock } = services
  const answers = new TaskJsonCache(1024)
  app.setValidatorCompiler(v3ValidatorCompiler)

  app.get('/tasks/:task_id', {
    config: { operation: 'getTask', surface: 'v3' },
    schema: {
      operationId: 'getTask',
      tags: ['tasks'],
      summary: 'Get a task',
      params: Type.Object({ task_id: Type.String({ description: 'The task id a creation answered' }) }),
      response: { 200: V3Envelope(V3TaskSchema, 'The task'), ...v3ErrorResponses('TASK_NOT_FOUND', 'GENERATION_LIMIT', ...COMMON_API_ERRORS) }
    },
    // The answer is JSON text already (cached while unchanged, as V2's): sent as it is.
    serializerCompiler: () => (data) => JSON.stringify(data)
  }, (request, reply) => {
    reply.type('application/json; charset=utf-8').send(taskAnswer(services, answers, request, request.params.task_id, renderV3) as never)
  })

  app.post('/tasks/list', {
    config: { operation: 'listTasks', surface: 'v3' },
    schema: {
      operationId: 'listTasks',
      tags: ['tasks'],
      summary: 'Get up to 100 tasks at once',
      body: Type.Object({ task_ids: Type.Array(Type.String(), { maxItems: 100, description: 'At most 100 task ids' }) }),
      response: {
        200: V3Envelope(Type.Object({
          tasks: Type.Record(Type.String(), V3TaskSchema, { description: 'The key\'s tasks among the ids, by id' }),
          missed: Type.Array(Type.String(), { description: 'The ids the key has no task for' })
        }), 'The tasks found, and the ids missed'),
        ...v3ErrorResponses('MALFORMED_BODY', 'UNSUPPORTED_MEDIA_TYPE', 'INVALID_PARAMETER', ...COMMON_API_ERRORS)
      }
    }
  }, (request) => {
    const { found, missed } = emulator.tasksOf(request.tenant, request.body.task_ids)
    const now = clock.now()
    const linkFor = linkMaker(services, baseUrlOf(services, request))
    const tasks = Object.fromEntries(found.map((task) => [task.id, toV3Task(task, taskState(task, now), linkFor)]))
    return { code: 0 as const, status: 'success' as const, data: { tasks, missed } }
  })
}

const renderV3: TaskAnswerRenderer = (task, state, linkFor) => `{"code":0,"status":"success","data":${JSON.stringify(toV3Task(task, state, linkFor))}}`

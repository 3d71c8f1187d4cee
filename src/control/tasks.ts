/**
 * `/__mock/tasks`: a key's tasks with their fates and timelines, one task by id, and forcing a
 * task on now: to its next state (queued → running → its fated final status), or to a given
 * final status.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { FINAL_STATUSES, TASK_STATUSES } from '../domain/lifecycle.ts'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import type { Services } from '../services.ts'
import { forceTask, getTaskView, listTasks } from './actions.ts'
import { CONTROL_ERRORS, errorResponses, KEY_HEADER, KeyHeaderSchema } from './common.ts'

const Instant = (description: string) => Type.Union([Type.String(), Type.Null()], { description })

const FateSchema = Type.Object({
  status: StringEnum(FINAL_STATUSES),
  errorCode: Type.Optional(Type.Integer({ description: 'error_code of the final task (default: 1001 failed, 2008 banned, 1000 unknown)' })),
  atProgress: Type.Optional(Type.Integer({ description: 'Stops running at this progress' })),
  afterMs: Type.Optional(Type.Integer({ description: 'Reaches its final status this long after creation' })),
  stall: Type.Optional(StringEnum(['queued', 'running'] as const))
}, { description: 'Decided at creation (default rules or a scenario): the final status and when' })

const TaskViewSchema = Type.Object({
  taskId: Type.String(),
  key: Type.String({ description: 'The owner\'s API key, masked' }),
  type: Type.String(),
  status: StringEnum(TASK_STATUSES, { description: 'Status now' }),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  fate: FateSchema,
  decidedBy: Type.Union([Type.String(), Type.Null()], { description: 'The scenario rule that decided the fate, if any' }),
  cost: Type.Integer({ description: 'Credits frozen at creation' }),
  timeline: Type.Object({
    queuedAt: Type.String({ description: 'Created (ISO 8601)' }),
    runningAt: Instant('Leaves the queue; null: never (stalled in the queue)'),
    finalAt: Instant('Reaches its final status; null: never (stalled)')
  })
}, { title: 'TaskView' })

const TaskIdParams = Type.Object({ taskId: Type.String({ minLength: 1, description: 'task_id' }) })

export const tasksRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/tasks', {
    config: { surface: 'control' },
    schema: {
      operationId: 'listTasks',
      tags: ['tasks'],
      summary: `A key's tasks (key in ${KEY_HEADER}), oldest first, with their status now, fate and timeline`,
      headers: KeyHeaderSchema,
      response: { 200: Type.Object({ tasks: Type.Array(TaskViewSchema) }), ...errorResponses(...CONTROL_ERRORS) }
    }
  }, async (request) => listTasks(services, request.headers[KEY_HEADER]))

  app.get('/tasks/:taskId', {
    config: { surface: 'control' },
    schema: {
      operationId: 'getTaskView',
      tags: ['tasks'],
      summary: 'One task, whatever its key',
      params: TaskIdParams,
      response: { 200: TaskViewSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
    }
  }, async (request) => getTaskView(services, request.params.taskId))

  app.post('/tasks/:taskId/force', {
    config: { surface: 'control' },
    schema: {
      operationId: 'forceTask',
      tags: ['tasks'],
      summary: 'Move a task on now: to its next state, or (with a status) straight to that final status',
      params: TaskIdParams,
      body: Type.Optional(Type.Object({
        status: Type.Optional(StringEnum(FINAL_STATUSES, { description: 'Final status to reach now; omitted: the next state' })),
        errorCode: Type.Optional(Type.Integer({ description: 'error_code of the final task (with status)' }))
      }, { additionalProperties: false })),
      response: { 200: TaskViewSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
    }
  }, async (request) => {
    const { view, from } = forceTask(services, request.params.taskId, request.body)
    request.log.info({ taskId: view.taskId, from, to: view.status }, 'task forced')
    return view
  })
}

/**
 * `/__mock/tasks`: tasks with their fates and timelines, of one key or of every key, a page at a
 * time; one task by id, and its output files; forcing a task on now: to its next state (queued →
 * running → its fated final status), or to a given final status.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { FINAL_STATUSES, TASK_STATUSES } from '../domain/lifecycle.ts'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import type { Services } from '../services.ts'
import { baseUrlOf } from '../api/links.ts'
import { findTasks, forceTask, getTaskView, MAX_TASK_PAGE, taskOutputs } from './actions.ts'
import { CONTROL_ERRORS, errorResponses, KEY_ERRORS, KEY_HEADER, KEY_ID_HEADER, KeyHeadersSchema, keyOf } from './common.ts'

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
  keyId: Type.String({ description: `The owner key's id (${KEY_ID_HEADER})` }),
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

const TaskOutputsSchema = Type.Object({
  taskId: Type.String(),
  status: StringEnum(TASK_STATUSES, { description: 'Status now' }),
  outputs: Type.Array(Type.Object({
    name: Type.String({ description: 'The output field: pbr_model, rendered_image, generate_multiview_image.front_view_url, ...' }),
    url: Type.String({ description: 'Signed and expiring, as the API hands it out' }),
    path: Type.String({ description: 'The same URL from the emulator\'s root (path and query), for a page served under a base path' }),
    format: Type.String({ description: 'The file\'s extension: glb, fbx, webp, ...' })
  }), { description: 'Empty until the task succeeds, as on the API' })
}, { title: 'TaskOutputs' })

export const tasksRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/tasks', {
    config: { surface: 'control' },
    schema: {
      operationId: 'listTasks',
      tags: ['tasks'],
      summary: `Tasks with their status now, fate and timeline: one key's (key in ${KEY_HEADER}) or every key's, a page at a time`,
      headers: KeyHeadersSchema,
      querystring: Type.Object({
        status: Type.Optional(StringEnum(TASK_STATUSES, { description: 'Only tasks in this status now' })),
        order: Type.Optional(StringEnum(['oldest', 'newest'] as const, { description: 'Creation order; default oldest first' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TASK_PAGE, description: `At most this many (default ${MAX_TASK_PAGE})` })),
        after: Type.Optional(Type.String({ minLength: 1, description: 'The previous page\'s next: the page starts after this task' }))
      }),
      response: {
        200: Type.Object({
          tasks: Type.Array(TaskViewSchema),
          next: Type.Union([Type.String(), Type.Null()], { description: 'Pass as after for the next page; null on the last page' })
        }),
        ...errorResponses(...KEY_ERRORS)
      }
    }
  }, async (request) => findTasks(services, { ...request.query, key: keyOf(services, request.headers) }))

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

  app.get('/tasks/:taskId/outputs', {
    config: { surface: 'control' },
    schema: {
      operationId: 'getTaskOutputs',
      tags: ['tasks'],
      summary: 'A task\'s output files, signed as the API hands them out (empty until it succeeds)',
      params: TaskIdParams,
      response: { 200: TaskOutputsSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
    }
  }, async (request) => taskOutputs(services, request.params.taskId, baseUrlOf(services, request)))

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

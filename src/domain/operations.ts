/**
 * The operations of the emulated API, named once for both surfaces: a V3 `POST /v3/generation/...`
 * and a V2 `POST /task` are both `createTask`. Routes name theirs in `config.operation`; the
 * scenario engine matches rules on them, and the journal and metrics count by them. One is not a
 * route but the emulator's own outgoing call: `deliverWebhook`, a webhook delivery attempt.
 */
export const OPERATIONS = {
  createTask: 'create a task: one POST per capability on V3 (/v3/generation/..., /v3/models/..., /v3/animations/..., /v3/mesh/...), POST /v2/openapi/task',
  getTask: 'GET /v3/tasks/{task_id}, GET /v2/openapi/task/{task_id}',
  listTasks: 'POST /v3/tasks/list',
  getBalance: 'GET /v3/account/balance, GET /v2/openapi/user/balance (and /user/wallet/balance)',
  getUsage: 'GET /v3/account/usage',
  upload: 'POST /v3/files, POST /v2/openapi/upload and /upload/sts (multipart)',
  stsToken: 'credentials to put one file: POST /v3/files/presign and /v3/files/upload-credentials, POST /v2/openapi/upload/sts/token',
  putObject: 'PUT /<bucket>/<key> (the emulated S3 endpoint: STS credentials and presigned URLs)',
  download: 'GET /files/<task_id>/<file> (signed output URLs)',
  watchTask: 'GET /v2/openapi/task/watch/{task_id} (WebSocket, V2 only)',
  watchAll: 'GET /v2/openapi/task/watch/all[/{since}] (WebSocket, V2 only)',
  deliverWebhook: 'a webhook delivery the emulator POSTs to an endpoint (outgoing: task.completed, task.failed, balance.low)'
} as const

export type Operation = keyof typeof OPERATIONS

export const OPERATION_NAMES = Object.keys(OPERATIONS) as Operation[]

/** The two emulated API surfaces: V3 (the primary one) and V2 (legacy: switched off upstream on 2026-11-01). */
export const API_SURFACES = ['v3', 'v2'] as const

export type ApiSurface = typeof API_SURFACES[number]

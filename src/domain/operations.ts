/**
 * The operations of the emulated API. Routes name theirs in `config.operation`; the scenario
 * engine matches rules on them, and the journal and metrics count by them.
 */
export const OPERATIONS = {
  createTask: 'POST /v2/openapi/task',
  getTask: 'GET /v2/openapi/task/{task_id}',
  getBalance: 'GET /v2/openapi/user/balance (and /user/wallet/balance)',
  upload: 'POST /v2/openapi/upload and /upload/sts (multipart)',
  stsToken: 'POST /v2/openapi/upload/sts/token',
  putObject: 'PUT /<bucket>/<key> (the emulated S3 endpoint)',
  download: 'GET /files/<task_id>/<file> (signed output URLs)',
  watchTask: 'GET /v2/openapi/task/watch/{task_id} (WebSocket)',
  watchAll: 'GET /v2/openapi/task/watch/all[/{since}] (WebSocket)'
} as const

export type Operation = keyof typeof OPERATIONS

export const OPERATION_NAMES = Object.keys(OPERATIONS) as Operation[]

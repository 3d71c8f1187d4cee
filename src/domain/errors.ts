/**
 * The error catalogue: every error the emulator can answer with, as data.
 *
 * The first 27 entries are the Tripo "Errors" page (shared/seeds), copied verbatim: HTTP status,
 * code, message and suggestion, typos included ("sever", "sufficent", "is valid" for an invalid
 * version). The entries after them are not in that table; each says where it comes from.
 * Nothing else in the code base writes an error message.
 */

export interface CatalogueEntry {
  readonly status: number
  readonly code: number
  readonly message: string
  readonly suggestion: string
  /** Where the entry comes from: the official table, or a reference note for the rest. */
  readonly source: 'seed' | 'reference' | 'emulator'
}

export const ERROR_CATALOGUE = {
  UNKNOWN_ERROR: { status: 500, code: 1000, message: 'Unknown error on sever side', suggestion: 'Please contact the support with request id', source: 'seed' },
  FATAL_ERROR: { status: 500, code: 1001, message: 'Fatal error on server side', suggestion: 'Please contact the support with request id', source: 'seed' },
  AUTHENTICATION_FAILED: { status: 401, code: 1002, message: 'Authentication failed', suggestion: 'Check if your credentials is valid, and ensure you set it correctly', source: 'seed' },
  MALFORMED_BODY: { status: 400, code: 1003, message: 'The request body is malformed', suggestion: 'Refer to the API documentation for request schema', source: 'seed' },
  INVALID_PARAMETER: { status: 400, code: 1004, message: 'One or more of your parameter is invalid', suggestion: 'Refer to the API documentation for parameter requirements', source: 'seed' },
  FORBIDDEN: { status: 403, code: 1005, message: 'You are not allowed to access this resource', suggestion: 'Check if you have sufficent permission', source: 'seed' },
  RATE_LIMITED: { status: 429, code: 1007, message: "Rate limit exceeded, you've generated too many requests in a short amount of time", suggestion: 'Please wait for a while and try again', source: 'seed' },
  GENERATION_LIMIT: { status: 429, code: 2000, message: 'You have exceeded the limit of generation', suggestion: 'Try again later. You can also check Retry-After header.', source: 'seed' },
  TASK_NOT_FOUND: { status: 404, code: 2001, message: 'The task is not found', suggestion: 'Check if the task is committed by you or whether the format is correct', source: 'seed' },
  UNSUPPORTED_TASK_TYPE: { status: 400, code: 2002, message: 'This task type is not supported', suggestion: 'Refer to API documentation for supported task types', source: 'seed' },
  EMPTY_IMAGE: { status: 400, code: 2003, message: 'The image file is empty', suggestion: 'Check if the file is corrupted', source: 'seed' },
  UNSUPPORTED_IMAGE_TYPE: { status: 400, code: 2004, message: 'This image file type is not supported', suggestion: 'Refer to API documentation for supported image file types', source: 'seed' },
  DRAFT_NOT_SUCCESS: { status: 400, code: 2005, message: 'The draft task is not a success task', suggestion: 'Retry with a success draft task', source: 'seed' },
  UNSUPPORTED_ORIGINAL_TASK_TYPE: { status: 400, code: 2006, message: 'The original task type is not supported', suggestion: 'Retry with a task with supported task type', source: 'seed' },
  ORIGINAL_NOT_SUCCESS: { status: 400, code: 2007, message: 'The original task is not a succeeded task', suggestion: 'Retry with a succeeded task', source: 'seed' },
  CONTENT_POLICY: { status: 400, code: 2008, message: 'The input is rejected due to violation of content policy', suggestion: 'Please modify your input and retry', source: 'seed' },
  INVALID_PROMPT_CHARACTERS: { status: 400, code: 2009, message: 'The input prompt contains invalid characters', suggestion: 'Please modify your input and retry', source: 'seed' },
  INSUFFICIENT_CREDIT: { status: 403, code: 2010, message: "You don't have enough credit to create this task", suggestion: 'Please purchase more credit', source: 'seed' },
  PRERIGCHECK_WITHOUT_MODEL: { status: 400, code: 2011, message: 'The input task type cannot be prerigcheck without model', suggestion: 'Please provide a task with output containing a model', source: 'seed' },
  NOT_A_RIG_TASK: { status: 400, code: 2012, message: 'The input task type is not valid', suggestion: 'Please provide a rig task', source: 'seed' },
  INVALID_PRIORITY: { status: 403, code: 2013, message: 'The priority is invalid', suggestion: 'Contact the support if you need higher priority', source: 'seed' },
  AUDIT_ERROR: { status: 400, code: 2014, message: 'Error occurred when auditing', suggestion: 'Please contact us for further suggestion', source: 'seed' },
  DEPRECATED_VERSION: { status: 400, code: 2015, message: 'The version has been deprecated, please try higher version', suggestion: 'Try higher version please', source: 'seed' },
  DEPRECATED_TYPE: { status: 400, code: 2016, message: 'The request type has been deprecated', suggestion: 'Try other available types please', source: 'seed' },
  INVALID_VERSION: { status: 400, code: 2017, message: 'The version value is valid', suggestion: 'Try correct version please', source: 'seed' },
  MODEL_TOO_COMPLEX: { status: 400, code: 2018, message: 'The model is too complex to remesh', suggestion: 'Please try another model', source: 'seed' },
  FILE_NOT_FOUND: { status: 404, code: 2019, message: 'The file is not found', suggestion: 'Check uploading response to ensure if the file has uploaded successfully', source: 'seed' },

  // V2 wraps router errors in 9xxx codes (reference §1, MIG). Its wording is not documented.
  ROUTE_NOT_FOUND: { status: 404, code: 9404, message: 'The requested route is not found', suggestion: 'Refer to the API documentation for available endpoints', source: 'reference' },
  // The emulator's own refusals (control plane, scenario selection): never sent by the real API.
  MOCK_BAD_REQUEST: { status: 400, code: 9400, message: 'The emulator could not accept this request', suggestion: 'See the tripo-mock README', source: 'emulator' },
  MOCK_NOT_FOUND: { status: 404, code: 9410, message: 'The emulator has no such resource', suggestion: 'See the tripo-mock README', source: 'emulator' },
  MOCK_UNAUTHORIZED: { status: 401, code: 9401, message: 'The control plane needs its token', suggestion: 'Send Authorization: Bearer <control token>', source: 'emulator' }
} as const satisfies Record<string, CatalogueEntry>

export type ErrorKey = keyof typeof ERROR_CATALOGUE

const byCode = new Map<number, ErrorKey>(
  (Object.keys(ERROR_CATALOGUE) as ErrorKey[]).map((key) => [ERROR_CATALOGUE[key].code, key])
)

/** The catalogue key of a wire code, if the catalogue has it. */
export function errorKeyOfCode (code: number): ErrorKey | undefined {
  return byCode.get(code)
}

/** The keys of the official table, in its order. */
export const DOCUMENTED_ERROR_KEYS = (Object.keys(ERROR_CATALOGUE) as ErrorKey[])
  .filter((key) => ERROR_CATALOGUE[key].source === 'seed')

export interface ApiErrorOptions {
  /** Why, for the log only: never sent to the client (the real API sends fixed texts). */
  readonly detail?: string
  /** Seconds for a Retry-After header (429 answers). */
  readonly retryAfter?: number
  /** The scenario rule that injected this error, when it did not arise naturally. */
  readonly injectedBy?: string
}

/**
 * The only error the domain throws. It names a catalogue entry; the HTTP layer renders it.
 * `statusCode` lets Fastify's own machinery (validators, hooks) carry it unchanged.
 */
export class ApiError extends Error {
  readonly key: ErrorKey
  readonly statusCode: number
  readonly detail: string | undefined
  readonly retryAfter: number | undefined
  readonly injectedBy: string | undefined

  constructor (key: ErrorKey, options: ApiErrorOptions = {}) {
    super(ERROR_CATALOGUE[key].message)
    this.name = 'ApiError'
    this.key = key
    this.statusCode = ERROR_CATALOGUE[key].status
    this.detail = options.detail
    this.retryAfter = options.retryAfter
    this.injectedBy = options.injectedBy
  }

  get entry (): CatalogueEntry {
    return ERROR_CATALOGUE[this.key]
  }
}

export function isApiError (error: unknown): error is ApiError {
  return error instanceof ApiError
}

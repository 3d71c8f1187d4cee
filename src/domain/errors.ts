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

  // NOTES (reference §3.1, §7) names 2020-2022 without their texts or HTTP status: the wording
  // and the 400 are ours. The limits are the documented ones (images 20 MB, models 150 MB).
  INVALID_IMAGE_URL: { status: 400, code: 2020, message: 'The image url is invalid', suggestion: 'Use an http or https URL of a JPEG or PNG image', source: 'reference' },
  MODEL_TOO_LARGE: { status: 400, code: 2021, message: 'The model file is over 150 MB', suggestion: 'Upload a model of 150 MB or less', source: 'reference' },
  IMAGE_TOO_LARGE: { status: 400, code: 2022, message: 'The image file is over 20 MB', suggestion: 'Upload an image of 20 MB or less', source: 'reference' },
  // V2 wraps router errors in 9xxx codes (reference §1, MIG). Its wording is not documented.
  ROUTE_NOT_FOUND: { status: 404, code: 9404, message: 'The requested route is not found', suggestion: 'Refer to the API documentation for available endpoints', source: 'reference' },
  // V3 answers an unknown route with 4001, and a wrong method or content type with 1003 under
  // 405 and 415 (reference §0.2, §8.2). 4001's wording is not documented; 1003 keeps the seed's.
  ROUTE_NOT_FOUND_V3: { status: 404, code: 4001, message: 'The requested route is not found', suggestion: 'Refer to the API documentation for available endpoints', source: 'reference' },
  METHOD_NOT_ALLOWED: { status: 405, code: 1003, message: 'The request body is malformed', suggestion: 'Refer to the API documentation for request schema', source: 'reference' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 1003, message: 'The request body is malformed', suggestion: 'Refer to the API documentation for request schema', source: 'reference' },
  // What a retired V2 answers is not documented (reference §0.1): the emulator's own 410, so a
  // suite can prove its code no longer calls V2 (setting retireV2).
  V2_RETIRED: { status: 410, code: 9200, message: 'The V2 API has been switched off', suggestion: 'Use the V3 API under /v3 (Tripo switched V2 off on 2026-11-01)', source: 'emulator' },
  // The emulator's own refusals (control plane, scenario selection): never sent by the real API.
  MOCK_BAD_REQUEST: { status: 400, code: 9400, message: 'The emulator could not accept this request', suggestion: 'See the tripo-mock README', source: 'emulator' },
  MOCK_NOT_FOUND: { status: 404, code: 9410, message: 'The emulator has no such resource', suggestion: 'See the tripo-mock README', source: 'emulator' },
  MOCK_UNAUTHORIZED: { status: 401, code: 9401, message: 'The control plane needs its token', suggestion: 'Send Authorization: Bearer <control token>', source: 'emulator' }
} as const satisfies Record<string, CatalogueEntry>

export type ErrorKey = keyof typeof ERROR_CATALOGUE

/** Code → key; where entries share a code (1003 under 400, 405 and 415), the first one, the seed's. */
const byCode = new Map<number, ErrorKey>()
for (const key of Object.keys(ERROR_CATALOGUE) as ErrorKey[]) if (!byCode.has(ERROR_CATALOGUE[key].code)) byCode.set(ERROR_CATALOGUE[key].code, key)

/** The catalogue key of a wire code, if the catalogue has it. */
export function errorKeyOfCode (code: number): ErrorKey | undefined {
  return byCode.get(code)
}

/** V3 reports a queue expiry as a failed task with 2018 (V3 reference §0.2), a meaning the seed's 2018 does not have. */
export const QUEUE_EXPIRED_CODE = 2018

/**
 * What a failed task says of itself (V3's `error_message`): the catalogue's text for its code, or
 * for a code the catalogue does not have (a scenario may fail a task with any), the code itself.
 */
export function taskFailureMessage (code: number): string {
  if (code === QUEUE_EXPIRED_CODE) return 'The task expired in the queue before it could run'
  const key = errorKeyOfCode(code)
  return key === undefined ? `The task failed (error code ${code})` : ERROR_CATALOGUE[key].message
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
    const entry: CatalogueEntry = ERROR_CATALOGUE[key]
    // An answer, not a bug: capturing a stack trace would cost more than the rest of a 429.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    // The emulator's own refusals say what was wrong (an in-process caller reads it in the message);
    // the API's errors keep the catalogue's text, and their detail stays in the log.
    super(entry.source === 'emulator' && options.detail !== undefined ? `${entry.message}: ${options.detail}` : entry.message)
    Error.stackTraceLimit = stackTraceLimit
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

/**
 * The refusals of the emulated storage: the signed download URLs (CloudFront/S3 in front of the
 * real outputs) and the S3 endpoint STS uploads go to. They answer as S3 does, with an XML
 * `<Error><Code>` body, never Tripo's envelope. Codes and messages are S3's.
 */
export const STORAGE_ERRORS = {
  ACCESS_DENIED: { status: 403, code: 'AccessDenied', message: 'Access Denied' },
  URL_EXPIRED: { status: 403, code: 'AccessDenied', message: 'Request has expired' },
  INVALID_RANGE: { status: 416, code: 'InvalidRange', message: 'The requested range is not satisfiable' },
  INVALID_ACCESS_KEY: { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' },
  SIGNATURE_MISMATCH: { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' },
  AUTHORIZATION_MALFORMED: { status: 400, code: 'AuthorizationHeaderMalformed', message: 'The authorization header is malformed.' },
  EXPIRED_TOKEN: { status: 400, code: 'ExpiredToken', message: 'The provided token has expired.' },
  INVALID_TOKEN: { status: 400, code: 'InvalidToken', message: 'The provided token is malformed or otherwise invalid.' },
  MISSING_CONTENT_SHA256: { status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' },
  CONTENT_SHA256_MISMATCH: { status: 400, code: 'XAmzContentSHA256Mismatch', message: "The provided 'x-amz-content-sha256' header does not match what was computed." },
  INCOMPLETE_BODY: { status: 400, code: 'IncompleteBody', message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.' },
  ENTITY_TOO_LARGE: { status: 400, code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed size' }
} as const satisfies Record<string, { status: number, code: string, message: string }>

export type StorageErrorKey = keyof typeof STORAGE_ERRORS

export interface StorageErrorOptions {
  readonly detail?: string
  /** Extra response headers (416 carries `Content-Range: bytes *\/<size>`). */
  readonly headers?: Readonly<Record<string, string>>
}

/** A storage refusal, rendered as S3's XML error by the error handler. */
export class StorageError extends Error {
  readonly key: StorageErrorKey
  readonly statusCode: number
  readonly code: string
  readonly detail: string | undefined
  readonly headers: Readonly<Record<string, string>>

  constructor (key: StorageErrorKey, options: StorageErrorOptions = {}) {
    super(STORAGE_ERRORS[key].message)
    this.name = 'StorageError'
    this.key = key
    this.statusCode = STORAGE_ERRORS[key].status
    this.code = STORAGE_ERRORS[key].code
    this.detail = options.detail
    this.headers = options.headers ?? {}
  }
}

export function isStorageError (error: unknown): error is StorageError {
  return error instanceof StorageError
}

/**
 * The one error handler. Every error, whatever raised it (the domain, a validator, Fastify's body
 * parser, an unknown route, a bug), leaves as the catalogue's envelope with the catalogue's HTTP
 * status: V2's `{"code","message","suggestion"}`, V3's `{"code","status":"error","message",
 * "suggestion","request_id"}` on `/v3`; never a stack trace, an HTML page or Fastify's own shape.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { v4 as uuidv4 } from 'uuid'
import { ApiError, ERROR_CATALOGUE, isApiError, isStorageError, type StorageError } from '../domain/errors.ts'
import type { ApiSurface, Operation } from '../domain/operations.ts'

export const TRACE_HEADER = 'X-Tripo-Trace-ID'

/**
 * Which surface a route belongs to: the emulated API's two versions answer with Tripo's codes in
 * their own envelopes, the file routes (downloads, S3) as storage does, the control plane with the mock's.
 */
export type Surface = 'v3' | 'v2' | 'control' | 'files'

export const V3_PREFIX = '/v3'
export const V2_PREFIX = '/v2/openapi'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation the scenario engine, journal and metrics key on (domain/operations.ts). */
    operation?: Operation
    surface?: Surface
    /** The task type a route creates (V3's creation routes: one per type; V2 reads it from the body). */
    taskType?: string
  }
  interface FastifyRequest {
    /** The scenario rule that injected this request's outcome (`<scenario>/<rule>`), if one did. */
    injectedBy: string | null
    /** The catalogue code this request was answered with; 0 when it was not an error (the journal reads it). */
    errorCode: number
  }
}

export interface ErrorEnvelope {
  code: number
  /** V3 only: "error". */
  status?: 'error'
  message: string
  suggestion: string
  /** V3 only: the trace id of the answer. */
  request_id?: string
  /** Only on the emulator's own errors (control plane, scenario selection): what was wrong. */
  detail?: string
}

/** The error envelope: V2's, or V3's (with `status` and `request_id`) when a request id is given. */
export function envelopeOf (error: ApiError, requestId?: string): ErrorEnvelope {
  const entry = ERROR_CATALOGUE[error.key]
  const envelope: ErrorEnvelope = requestId === undefined
    ? { code: entry.code, message: entry.message, suggestion: entry.suggestion }
    : { code: entry.code, status: 'error', message: entry.message, suggestion: entry.suggestion, request_id: requestId }
  if (entry.source === 'emulator' && error.detail !== undefined) envelope.detail = error.detail
  return envelope
}

/** The surface a request is answered by: its route's, or for a request no route took, the API its path is under. */
export function surfaceOf (request: FastifyRequest): Surface | undefined {
  return request.routeOptions.config.surface ?? apiSurfaceOfPath(request.url)
}

/** The API a path is under (`/v3...`, `/v2/openapi...`), if any. */
export function apiSurfaceOfPath (url: string): ApiSurface | undefined {
  if (isUnder(url, V3_PREFIX)) return 'v3'
  if (isUnder(url, V2_PREFIX)) return 'v2'
  return undefined
}

function isUnder (url: string, prefix: string): boolean {
  return url.startsWith(prefix) && (url.length === prefix.length || '/?'.includes(url[prefix.length] as string))
}

/** Logs and sends an ApiError (the error handler, and scenario hooks that answer without throwing). */
export function answerWithError (request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.injectedBy !== undefined) request.injectedBy = error.injectedBy
  request.log.info({ code: error.entry.code, detail: error.detail, injectedBy: error.injectedBy }, `answered ${error.entry.code}`)
  return sendApiError(reply, error)
}

/** Sends an ApiError: its status, the envelope of the request's surface, and Retry-After. */
export function sendApiError (reply: FastifyReply, error: ApiError): FastifyReply {
  const request = reply.request
  request.errorCode = error.entry.code
  if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter))
  const envelope = envelopeOf(error, surfaceOf(request) === 'v3' ? request.id : undefined)
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(envelope)
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

/** S3's XML error document (what a signed storage URL or an S3 endpoint answers). */
export function storageErrorXml (error: StorageError, requestId: string): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string)
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escape(error.code)}</Code><Message>${escape(error.message)}</Message><RequestId>${escape(requestId)}</RequestId></Error>`
}

/** Sends a StorageError: its status, headers and XML body. */
export function sendStorageError (reply: FastifyReply, error: StorageError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
  return reply.code(error.statusCode).type('application/xml').send(storageErrorXml(error, reply.request.id))
}

/** Maps anything thrown to the catalogue. */
export function toApiError (error: FastifyError | Error, request: FastifyRequest, notFound: NotFound): ApiError {
  if (isApiError(error)) return error
  const fastifyError = error as FastifyError
  const surface = surfaceOf(request)
  const control = surface === 'control'
  if (fastifyError.validation !== undefined) {
    const detail = `${fastifyError.validationContext as string}: ${fastifyError.message}`
    return new ApiError(control ? 'MOCK_BAD_REQUEST' : 'INVALID_PARAMETER', { detail })
  }
  // Fastify's body parsers (FST_ERR_CTP_*: bad JSON, empty body, wrong media type, too large).
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_ERR_CTP_')) {
    // V3 answers a wrong content type with 1003 under 415 (reference §0.2).
    const key = control ? 'MOCK_BAD_REQUEST' : surface === 'v3' && fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'UNSUPPORTED_MEDIA_TYPE' : 'MALFORMED_BODY'
    return new ApiError(key, { detail: fastifyError.message })
  }
  // Fastify and its plugins mark the client's mistakes with a 4xx status (a method no route has,
  // QUERY without a Content-Type, a docs path the static files refuse): the client's, never a 500.
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    if (request.is404 || status === 403 || status === 404) return notFound(request.method, request.url.split('?')[0] as string)
    return new ApiError(control ? 'MOCK_BAD_REQUEST' : 'MALFORMED_BODY', { detail: fastifyError.message })
  }
  return new ApiError('UNKNOWN_ERROR', { detail: error.message })
}

/** What a request no route took answers (installErrorHandling's, which knows the app's routes). */
export type NotFound = (method: string, path: string) => ApiError

export interface ErrorHandlingOptions {
  /** The retired V2 (setting retireV2) answers every path under `/v2/openapi` with 410. */
  readonly v2Retired: boolean
}

export function installErrorHandling (app: FastifyInstance, options: ErrorHandlingOptions): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isStorageError(error)) {
      request.log.info({ storageCode: error.code, detail: error.detail }, `answered ${error.statusCode} ${error.code}`)
      return sendStorageError(reply, error)
    }
    const apiError = toApiError(error, request, notFound)
    if (apiError.key === 'UNKNOWN_ERROR' && !isApiError(error)) {
      request.log.error({ err: error }, 'unexpected error, answered as 1000')
      return sendApiError(reply, apiError)
    }
    return answerWithError(request, reply, apiError)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] as string
    const error = notFound(request.method, path)
    request.log.info({ code: error.entry.code }, 'no such route')
    if (error.key === 'METHOD_NOT_ALLOWED') reply.header('Allow', allowedMethods(path).join(', '))
    return sendApiError(reply, error)
  })

  /** What a request no route took answers: V3's 405 for a path it has under another method, its 4001, V2's 9404 (or 410 retired), the mock's 9410. */
  function notFound (method: string, path: string): ApiError {
    const detail = `no route ${method} ${path}`
    if (path.startsWith('/__mock')) return new ApiError('MOCK_NOT_FOUND', { detail })
    const surface = apiSurfaceOfPath(path)
    if (surface === 'v3') return allowedMethods(path).length > 0 ? new ApiError('METHOD_NOT_ALLOWED', { detail }) : new ApiError('ROUTE_NOT_FOUND_V3', { detail })
    if (surface === 'v2' && options.v2Retired) return new ApiError('V2_RETIRED', { detail: `${method} ${path}` })
    return new ApiError('ROUTE_NOT_FOUND', { detail })
  }

  /** The methods V3 serves `path` with (its route patterns are few; `:name` matches one segment). */
  function allowedMethods (path: string): string[] {
    return v3Routes.filter((route) => route.pattern.test(path)).map((route) => route.method)
  }

  const v3Routes: Array<{ method: string, pattern: RegExp }> = []
  app.addHook('onRoute', (route) => {
    if (route.config?.surface !== 'v3') return
    const source = route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+')
    for (const method of [route.method].flat()) if (method !== 'HEAD') v3Routes.push({ method, pattern: new RegExp(`^${source}/?$`) })
  })
}

/**
 * Requests Node's HTTP parser cannot read (a broken request line, bad headers) never reach Fastify:
 * they are answered here, on the socket, still with the envelope and a trace id.
 */
export function clientErrorHandler (error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  answerOnSocket(socket, new ApiError('MALFORMED_BODY'))
}

/**
 * `CONNECT` asks a server to be a proxy, which the emulator is not. Node hands such requests to a
 * `connect` listener (without one it drops the socket, unanswered): the answer is the envelope of
 * an unknown route.
 */
export function connectHandler (request: IncomingMessage, socket: Duplex): void {
  answerOnSocket(socket, new ApiError('ROUTE_NOT_FOUND', { detail: `no route CONNECT ${request.url as string}` }))
}

/**
 * Writes an error as a whole HTTP answer straight on a socket (for requests Fastify never routes),
 * then closes the connection once it has gone out, whether or not the client hangs up.
 */
export function answerOnSocket (socket: Duplex, error: ApiError, traceId: string = uuidv4()): void {
  const body = JSON.stringify(envelopeOf(error))
  socket.write(
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] as string}\r\n` +
    `${TRACE_HEADER}: ${traceId}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' + body
  )
  ;(socket as Socket).destroySoon()
}

/**
 * The one error handler. Every error, whatever raised it (the domain, a validator, Fastify's body
 * parser, an unknown route, a bug), leaves as the catalogue's envelope
 * `{"code","message","suggestion"}` with the catalogue's HTTP status: never a stack trace, an
 * HTML page or Fastify's own error shape.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { v4 as uuidv4 } from 'uuid'
import { ApiError, ERROR_CATALOGUE, type ErrorKey, isApiError, isStorageError, type StorageError } from '../domain/errors.ts'
import type { Operation } from '../domain/operations.ts'

export const TRACE_HEADER = 'X-Tripo-Trace-ID'

/** Which surface a route belongs to: the emulated API answers with Tripo's codes, the control plane with the mock's. */
export type Surface = 'api' | 'control' | 'files'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation the scenario engine, journal and metrics key on (domain/operations.ts). */
    operation?: Operation
    surface?: Surface
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
  message: string
  suggestion: string
  /** Only on the emulator's own errors (control plane, scenario selection): what was wrong. */
  detail?: string
}

export function envelopeOf (error: ApiError): ErrorEnvelope {
  const entry = ERROR_CATALOGUE[error.key]
  const envelope: ErrorEnvelope = { code: entry.code, message: entry.message, suggestion: entry.suggestion }
  if (entry.source === 'emulator' && error.detail !== undefined) envelope.detail = error.detail
  return envelope
}

/** Logs and sends an ApiError (the error handler, and scenario hooks that answer without throwing). */
export function answerWithError (request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.injectedBy !== undefined) request.injectedBy = error.injectedBy
  request.log.info({ code: error.entry.code, detail: error.detail, injectedBy: error.injectedBy }, `answered ${error.entry.code}`)
  return sendApiError(reply, error)
}

/** Sends an ApiError: its status, envelope and Retry-After. */
export function sendApiError (reply: FastifyReply, error: ApiError): FastifyReply {
  reply.request.errorCode = error.entry.code
  if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter))
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(envelopeOf(error))
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
export function toApiError (error: FastifyError | Error, request: FastifyRequest): ApiError {
  if (isApiError(error)) return error
  const fastifyError = error as FastifyError
  const control = request.routeOptions.config.surface === 'control'
  if (fastifyError.validation !== undefined) {
    const detail = `${fastifyError.validationContext as string}: ${fastifyError.message}`
    return new ApiError(control ? 'MOCK_BAD_REQUEST' : 'INVALID_PARAMETER', { detail })
  }
  // Fastify's body parsers (FST_ERR_CTP_*: bad JSON, empty body, wrong media type, too large).
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_ERR_CTP_')) {
    return new ApiError(control ? 'MOCK_BAD_REQUEST' : 'MALFORMED_BODY', { detail: fastifyError.message })
  }
  // Fastify and its plugins mark the client's mistakes with a 4xx status (a method no route has,
  // QUERY without a Content-Type, a docs path the static files refuse): the client's, never a 500.
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    if (request.is404 || status === 403 || status === 404) return notFound(request)
    return new ApiError(control ? 'MOCK_BAD_REQUEST' : 'MALFORMED_BODY', { detail: fastifyError.message })
  }
  return new ApiError('UNKNOWN_ERROR', { detail: error.message })
}

/** No such route: the control plane's 9410 under its prefix, the API's 9404 elsewhere. */
function notFound (request: FastifyRequest): ApiError {
  const key: ErrorKey = request.url.startsWith('/__mock') ? 'MOCK_NOT_FOUND' : 'ROUTE_NOT_FOUND'
  return new ApiError(key, { detail: `no route ${request.method} ${request.url.split('?')[0] as string}` })
}

export function installErrorHandling (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isStorageError(error)) {
      request.log.info({ storageCode: error.code, detail: error.detail }, `answered ${error.statusCode} ${error.code}`)
      return sendStorageError(reply, error)
    }
    const apiError = toApiError(error, request)
    if (apiError.key === 'UNKNOWN_ERROR' && !isApiError(error)) {
      request.log.error({ err: error }, 'unexpected error, answered as 1000')
      return sendApiError(reply, apiError)
    }
    return answerWithError(request, reply, apiError)
  })

  app.setNotFoundHandler((request, reply) => {
    const error = notFound(request)
    request.log.info({ code: error.entry.code }, 'no such route')
    return sendApiError(reply, error)
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

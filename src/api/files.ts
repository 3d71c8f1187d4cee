/**
 * `GET|HEAD /files/<task_id>/<name>`: the signed output URLs of a task (reference §5.4, §8.2).
 * Like a signed CloudFront/S3 URL: the signature and expiry are checked first, and a refused URL
 * answers 403 with S3's XML error; any Authorization header (the official clients send the API
 * key along) is ignored. A sample asset is served from memory by its exact name, an imported
 * model from the STS object store: no request path ever reaches the file system.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { isAssetName } from '../domain/assets.ts'
import { ApiError, StorageError } from '../domain/errors.ts'
import { MODEL_CONTENT_TYPES } from '../domain/files.ts'
import type { TaskRecord } from '../domain/task.ts'
import type { Services } from '../services.ts'
import { errorResponses } from './common.ts'
import { FILES_PREFIX, outputPath } from './links.ts'

interface Served {
  readonly bytes: Buffer
  readonly contentType: string
  readonly etag: string
}

const XmlError = (description: string) => ({
  description,
  content: { 'application/xml': { schema: { type: 'string', example: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>…</RequestId></Error>' } } }
})

export const filesRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator, files, fixtures, signer } = services

  /** The file `name` of this task's output, if its output holds one by that name. */
  function served (task: TaskRecord, name: string): Served | undefined {
    for (const value of Object.values(task.output)) {
      if ('object' in value && `imported.${value.ext}` === name) {
        const object = files.objectAt(value.object.bucket, value.object.key)
        return object === undefined ? undefined : { bytes: object.bytes, contentType: MODEL_CONTENT_TYPES[value.ext] as string, etag: object.etag }
      }
      const assets = 'asset' in value ? [value.asset] : 'views' in value ? Object.values(value.views) : []
      if (isAssetName(name) && assets.includes(name)) return fixtures.get(name)
    }
    return undefined
  }

  app.get(`${FILES_PREFIX}/:taskId/:name`, {
    config: { operation: 'download', surface: 'files' },
    schema: {
      operationId: 'download',
      tags: ['files'],
      summary: 'Download an output file (the signed URLs of a task\'s output)',
      description: 'Signed and expiring (urlExpirySeconds, 5 minutes by default). Supports HEAD and Range (one range). An Authorization header is ignored.',
      security: [],
      params: Type.Object({ taskId: Type.String(), name: Type.String({ description: 'An asset name, or `imported.<ext>` for import_model' }) }),
      querystring: Type.Object({
        Expires: Type.Optional(Type.String({ description: 'Unix seconds' })),
        Signature: Type.Optional(Type.String()),
        'Key-Pair-Id': Type.Optional(Type.String())
      }),
      response: {
        200: { description: 'The file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        206: { description: 'The requested range (Content-Range)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        403: XmlError('AccessDenied (XML): a missing, wrong or tampered signature ("Access Denied"), or an expired URL ("Request has expired")'),
        416: XmlError('InvalidRange (XML), with `Content-Range: bytes */<size>`'),
        ...errorResponses('FILE_NOT_FOUND')
      }
    }
  }, async (request, reply) => {
    const { taskId, name } = request.params
    const verdict = signer.verify(outputPath(taskId, name), request.query.Expires, request.query.Signature, request.query['Key-Pair-Id'])
    if (verdict === 'expired') throw new StorageError('URL_EXPIRED', { detail: `${name} of ${taskId}` })
    if (verdict === 'invalid') throw new StorageError('ACCESS_DENIED', { detail: `bad signature for ${name} of ${taskId}` })
    const task = emulator.findTask(taskId)
    const file = task === undefined ? undefined : served(task, name)
    if (file === undefined) throw new ApiError('FILE_NOT_FOUND', { detail: `task ${taskId} has no file ${name}` })

    const size = file.bytes.length
    reply.header('ETag', file.etag).header('Accept-Ranges', 'bytes').header('Cache-Control', `private, max-age=${signer.expirySeconds}`).type(file.contentType)
    const range = parseRange(request.headers.range, size)
    if (range === 'unsatisfiable') throw new StorageError('INVALID_RANGE', { headers: { 'Content-Range': `bytes */${size}` } })
    if (range === undefined) return reply.header('Content-Length', size).send(file.bytes)
    return reply.code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
      .header('Content-Length', range.end - range.start + 1)
      .send(file.bytes.subarray(range.start, range.end + 1))
  })
}

/**
 * One byte range (RFC 9110 §14.1.2): `bytes=a-b`, `bytes=a-` or `bytes=-n`. Anything else (several
 * ranges, another unit, a malformed value) is ignored and the whole file is sent, as S3 does.
 */
export function parseRange (header: string | undefined, size: number): { start: number, end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '')
  if (match === null) return undefined
  const first = match[1] as string
  const last = match[2] as string
  if (first === '') {
    if (last === '') return undefined
    const suffix = Number(last)
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) }
}

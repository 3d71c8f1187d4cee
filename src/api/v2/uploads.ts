/**
 * Uploads (reference §2.4-2.6): `POST /upload` and `POST /upload/sts` take one image as
 * multipart field `file` and answer an `image_token`; `POST /upload/sts/token` hands out
 * temporary S3 credentials for the emulator's own S3 endpoint (api/s3.ts).
 *
 * Choices where the docs are silent: a request that is not multipart (or whose multipart is
 * broken) answers 1003, like any malformed body; a multipart body without a `file` part answers
 * 1004, a missing parameter. Each upload counts against the key's upload rate (429/1007).
 */
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ApiError } from '../../domain/errors.ts'
import { STS_FORMATS } from '../../domain/files.ts'
import type { Services } from '../../services.ts'
import { StringEnum } from '../../domain/task-types/schema-kit.ts'
import { COMMON_API_ERRORS, Envelope, errorResponses } from '../common.ts'
import { s3HostOf } from '../links.ts'

const ImageTokenSchema = Envelope(Type.Object({ image_token: Type.String({ description: 'A UUID; use it as {"file_token": ...} in a task' }) }), 'The image was stored')

const StsTokenSchema = Envelope(Type.Object({
  s3_host: Type.String({ description: 'host[:port] of the S3 endpoint (this emulator)' }),
  resource_bucket: Type.String({ description: 'Always tripo-data' }),
  resource_uri: Type.String({ description: 'The object key: `tcli_<32 hex>/<yyyymmdd>/<uuid>/input.<format>`' }),
  session_token: Type.String(),
  sts_ak: Type.String({ description: 'Temporary access key id (ASIA...)' }),
  sts_sk: Type.String({ description: 'Temporary secret access key' })
}), 'Temporary credentials to PUT one object')

export const uploadsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator, files } = services
  await app.register(multipart, { limits: { fileSize: files.settings.imageMaxBytes, files: 4, fields: 16, parts: 32 } })

  /** The bytes of the multipart part named `file`; other parts are drained and ignored. */
  async function fileOf (request: FastifyRequest): Promise<Buffer> {
    if (!request.isMultipart()) throw new ApiError('MALFORMED_BODY', { detail: 'expected multipart/form-data' })
    let bytes: Buffer | undefined
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue
        if (part.fieldname === 'file' && bytes === undefined) bytes = await part.toBuffer()
        else part.file.resume()
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new ApiError('IMAGE_TOO_LARGE', { detail: `over ${files.settings.imageMaxBytes} bytes` })
      throw new ApiError('MALFORMED_BODY', { detail: `multipart: ${(error as Error).message}` })
    }
    if (bytes === undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'no multipart file part named "file"' })
    return bytes
  }

  for (const url of ['/upload', '/upload/sts']) {
    app.post(url, {
      config: { operation: 'upload', surface: 'v2' },
      schema: {
        operationId: url === '/upload' ? 'upload' : 'uploadSts',
        tags: ['uploads'],
        summary: url === '/upload' ? 'Upload an image (the path the SDKs use)' : 'Upload an image (the path the current docs give)',
        description: 'multipart/form-data with one file part named `file`: a JPEG, PNG or WebP image (checked by its bytes), at most 20 MB. The token lives 24 hours and belongs to the key.',
        consumes: ['multipart/form-data'],
        response: {
          200: ImageTokenSchema,
          ...errorResponses('MALFORMED_BODY', 'INVALID_PARAMETER', 'EMPTY_IMAGE', 'UNSUPPORTED_IMAGE_TYPE', 'IMAGE_TOO_LARGE', ...COMMON_API_ERRORS)
        }
      }
    }, async (request) => {
      emulator.countRequest(request.tenant, 'upload')
      const token = files.upload(request.tenant, await fileOf(request))
      request.log.info({ token }, 'image uploaded')
      return { code: 0 as const, data: { image_token: token } }
    })
  }

  app.post('/upload/sts/token', {
    config: { operation: 'stsToken', surface: 'v2' },
    schema: {
      operationId: 'stsToken',
      tags: ['uploads'],
      summary: 'Get temporary credentials to upload one file through S3',
      description: 'The credentials point at this emulator\'s S3 endpoint (`PUT /tripo-data/<resource_uri>`, path-style). Images up to 20 MB, models (for import_model) up to 150 MB. They expire after stsCredentialTtlSeconds (30 minutes by default).',
      body: Type.Object({ format: StringEnum(Object.keys(STS_FORMATS) as Array<keyof typeof STS_FORMATS>, { description: 'webp, jpeg, png (images) or glb, obj, fbx, stl (models)' }) }),
      response: {
        200: StsTokenSchema,
        ...errorResponses('MALFORMED_BODY', 'INVALID_PARAMETER', ...COMMON_API_ERRORS)
      }
    }
  }, async (request) => {
    const credentials = files.issueCredentials(request.tenant, request.body.format)
    request.log.info({ key: credentials.key }, 'STS credentials issued')
    return {
      code: 0 as const,
      data: {
        s3_host: s3HostOf(services, request),
        resource_bucket: credentials.bucket,
        resource_uri: credentials.key,
        session_token: credentials.sessionToken,
        sts_ak: credentials.accessKeyId,
        sts_sk: credentials.secretAccessKey
      }
    }
  })
}

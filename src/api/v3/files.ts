/**
 * V3's files (reference §3.7): `POST /v3/files` takes one file as multipart field `file` (an image,
 * JPEG, PNG or WebP up to 20 MB, or a model, GLB, glTF, FBX, OBJ or STL up to 150 MB, judged by its
 * bytes) and answers a `file_token`; `/files/presign` (with a format) and `/files/upload-credentials`
 * (without) answer a presigned PUT URL on the emulator's own S3 endpoint and the `file_token` that
 * names the file once it is put there.
 *
 * Choices where the docs are silent, as on V2: not multipart (or broken multipart) is 1003; no
 * `file` part is 1004. Each upload counts against the key's upload rate (429/1007).
 */
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ApiError } from '../../domain/errors.ts'
import { PRESIGN_FORMATS, sniffFile, type StsCredentials } from '../../domain/files.ts'
import type { Tenant } from '../../domain/tenants.ts'
import type { Services } from '../../services.ts'
import { COMMON_API_ERRORS, V3Envelope, v3ErrorResponses } from '../common.ts'
import { baseUrlOf, s3HostOf } from '../links.ts'
import { presignQuery } from '../sigv4.ts'
import { v3ValidatorCompiler } from './body-validator.ts'

const FileToken = Type.String({ description: '`file_<uuid>`: use it as `input` (or `{"file_token": ...}`) in a task' })

export const filesRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator, files, clock } = services
  const { imageMaxBytes, modelMaxBytes, stsCredentialTtlSeconds } = files.settings
  // A file over the larger limit is cut there rather than thrown: what was read says which limit it is over.
  await app.register(multipart, { throwFileSizeLimit: false, limits: { fileSize: Math.max(imageMaxBytes, modelMaxBytes), files: 4, fields: 16, parts: 32 } })
  app.setValidatorCompiler(v3ValidatorCompiler)

  /** The bytes of the multipart part named `file`; other parts are drained and ignored. */
  async function fileOf (request: FastifyRequest): Promise<Buffer> {
    if (!request.isMultipart()) throw new ApiError('MALFORMED_BODY', { detail: 'expected multipart/form-data' })
    let bytes: Buffer | undefined
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue
        if (part.fieldname === 'file' && bytes === undefined) {
          bytes = await part.toBuffer()
          if (part.file.truncated) {
            const kind = sniffFile(bytes)?.kind ?? 'model'
            throw new ApiError(kind === 'image' ? 'IMAGE_TOO_LARGE' : 'MODEL_TOO_LARGE', { detail: `over ${bytes.length} bytes` })
          }
        } else {
          part.file.resume()
        }
      }
    } catch (error) {
      if (error instanceof ApiError) throw error
      throw new ApiError('MALFORMED_BODY', { detail: `multipart: ${(error as Error).message}` })
    }
    if (bytes === undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'no multipart file part named "file"' })
    return bytes
  }

  app.post('/files', {
    config: { operation: 'upload', surface: 'v3' },
    schema: {
      operationId: 'uploadFile',
      tags: ['files'],
      summary: 'Upload an image or a model file',
      description: 'multipart/form-data with one file part named `file`: a JPEG, PNG or WebP image up to 20 MB, or a GLB, glTF, FBX, OBJ or STL model up to 150 MB, checked by its bytes (never its name or declared type). The token lives 24 hours and belongs to the key.',
      consumes: ['multipart/form-data'],
      response: {
        200: V3Envelope(Type.Object({ file_token: FileToken }), 'The file was stored'),
        ...v3ErrorResponses('MALFORMED_BODY', 'UNSUPPORTED_MEDIA_TYPE', 'INVALID_PARAMETER', 'EMPTY_IMAGE', 'UNSUPPORTED_IMAGE_TYPE', 'IMAGE_TOO_LARGE', 'MODEL_TOO_LARGE', ...COMMON_API_ERRORS)
      }
    }
  }, async (request) => {
    emulator.countRequest(request.tenant, 'upload')
    const token = files.uploadFile(request.tenant, await fileOf(request))
    request.log.info({ token }, 'file uploaded')
    return { code: 0 as const, status: 'success' as const, data: { file_token: token } }
  })

  /** A presigned PUT to the emulator's S3 endpoint, on the host the client reached (or publicUrl). */
  function presignedUrl (request: FastifyRequest, credentials: StsCredentials): string {
    const base = baseUrlOf(services, request)
    const path = `/${credentials.bucket}/${credentials.key}`
    const query = presignQuery({
      method: 'PUT',
      host: s3HostOf(services, request),
      path,
      accessKeyId: credentials.accessKeyId,
      secret: credentials.secretAccessKey,
      signedAt: clock.now(),
      expiresSeconds: stsCredentialTtlSeconds
    })
    return `${base}${path}?${query}`
  }

  const uploadTarget = (request: FastifyRequest & { tenant: Tenant }, format?: string) => {
    const target = files.issueUploadTarget(request.tenant, format)
    request.log.info({ token: target.token, key: target.credentials.key }, 'presigned upload issued')
    return { token: target.token, url: presignedUrl(request, target.credentials), expiresAt: target.credentials.expiresAt }
  }

  app.post('/files/upload-credentials', {
    config: { operation: 'stsToken', surface: 'v3' },
    schema: {
      operationId: 'uploadCredentials',
      tags: ['files'],
      summary: 'Get a presigned URL to PUT one file of any format',
      description: 'PUT the file to upload_url (any S3 client, or a plain HTTP PUT: the URL carries its signature) before expires_at; then use file_token. Up to 150 MB; the file is judged by its bytes when a task uses it.',
      response: {
        200: V3Envelope(Type.Object({
          file_token: FileToken,
          upload_url: Type.String({ description: 'A presigned PUT URL on this emulator\'s S3 endpoint' }),
          expires_at: Type.String({ format: 'date-time' })
        }), 'Where to put the file'),
        ...v3ErrorResponses(...COMMON_API_ERRORS)
      }
    }
  }, (request) => {
    const target = uploadTarget(request)
    return { code: 0 as const, status: 'success' as const, data: { file_token: target.token, upload_url: target.url, expires_at: new Date(target.expiresAt).toISOString() } }
  })

  app.post('/files/presign', {
    config: { operation: 'stsToken', surface: 'v3' },
    schema: {
      operationId: 'presignUpload',
      tags: ['files'],
      summary: 'Get a presigned URL to PUT one file of a given format',
      description: 'PUT the file to presigned_url within expires_in seconds (30 minutes by default); then use file_token. Images up to 20 MB, models up to 150 MB.',
      body: Type.Object({ format: Type.String({ minLength: 1, description: `The extension, without the dot: ${Object.keys(PRESIGN_FORMATS).join(', ')}` }) }),
      response: {
        200: V3Envelope(Type.Object({
          presigned_url: Type.String({ description: 'A presigned PUT URL on this emulator\'s S3 endpoint' }),
          file_token: FileToken,
          expires_in: Type.Integer({ description: 'Seconds the URL stays valid' })
        }), 'Where to put the file'),
        ...v3ErrorResponses('MALFORMED_BODY', 'UNSUPPORTED_MEDIA_TYPE', 'INVALID_PARAMETER', ...COMMON_API_ERRORS)
      }
    }
  }, (request) => {
    const target = uploadTarget(request, request.body.format.toLowerCase())
    return { code: 0 as const, status: 'success' as const, data: { presigned_url: target.url, file_token: target.token, expires_in: stsCredentialTtlSeconds } }
  })
}

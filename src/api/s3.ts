/**
 * The emulated S3 endpoint uploads go to: path-style `PUT /tripo-data/<key>`, signed with AWS
 * Signature V4, either in the Authorization header by the temporary credentials V2's
 * `/upload/sts/token` issued (reference §2.6), or in the query of a presigned URL from V3's
 * `/files/presign` and `/files/upload-credentials`. The signature is checked for real (header or
 * query, then payload: a SHA-256, UNSIGNED-PAYLOAD, or aws-chunked with chunk signatures or a
 * trailer), the size against the format's limit, and the object is stored for the API key that got
 * the credentials. Refusals are S3's XML errors.
 */
import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { StorageError } from '../domain/errors.ts'
import { type StsCredentials, STS_BUCKET } from '../domain/files.ts'
import type { Services } from '../services.ts'
import { type Authorization, amzDateOf, decodeChunked, parseAuthorization, parsePresigned, requestSignature, sameSecret, sameSignature, signingKey, UNSIGNED_PAYLOAD } from './sigv4.ts'

interface Verified {
  readonly credentials: StsCredentials
  readonly auth: Authorization
  readonly amzDate: string
  readonly payloadHash: string
}

const XmlError = (description: string) => ({ description, content: { 'application/xml': { schema: { type: 'string' } } } })

/** aws-chunked framing around the data: room for the chunk headers of a large upload. */
const CHUNK_OVERHEAD = 1024 * 1024

export const s3Routes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { files } = services
  const verified = new WeakMap<FastifyRequest, Verified>()

  // The body is the object, whatever its Content-Type says (JSON included).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: Math.max(files.settings.imageMaxBytes, files.settings.modelMaxBytes) + CHUNK_OVERHEAD }, (_request, body, done) => { done(null, body) })

  /** Checks the signature of the request line and headers (or of a presigned URL), before the body is read. */
  function verify (request: FastifyRequest): Verified {
    const presigned = parsePresigned(request.raw.url as string)
    if (presigned === 'malformed') throw new StorageError('AUTHORIZATION_MALFORMED', { detail: 'presigned query' })
    const check = presigned === undefined ? verifyHeader(request) : verifyPresigned(request, presigned)
    // The credentials are scoped to the one object they were issued for.
    const key = (request.params as { '*': string })['*']
    if (key !== check.credentials.key) throw new StorageError('ACCESS_DENIED', { detail: `credentials for ${check.credentials.key}, not ${key}` })
    // Declared sizes are refused before the body is read; a body without one is checked once read.
    const declared = Number(request.headers['x-amz-decoded-content-length'] ?? request.headers['content-length'])
    if (declared > check.credentials.maxBytes) throw new StorageError('ENTITY_TOO_LARGE', { detail: `${declared} bytes` })
    return check
  }

  function credentialsOf (accessKeyId: string): StsCredentials {
    const credentials = files.credentialsOf(accessKeyId)
    if (credentials === undefined) throw new StorageError('INVALID_ACCESS_KEY', { detail: accessKeyId })
    return credentials
  }

  function verifyHeader (request: FastifyRequest): Verified {
    const header = request.headers.authorization
    if (header === undefined) throw new StorageError('ACCESS_DENIED', { detail: 'anonymous PUT' })
    const auth = parseAuthorization(header)
    if (auth === undefined) throw new StorageError('AUTHORIZATION_MALFORMED', { detail: header.split(' ')[0] })
    const credentials = credentialsOf(auth.accessKeyId)
    if (files.isExpired(credentials)) throw new StorageError('EXPIRED_TOKEN', { detail: auth.accessKeyId })
    if (!sameSecret(request.headers['x-amz-security-token'], credentials.sessionToken)) throw new StorageError('INVALID_TOKEN', { detail: 'x-amz-security-token' })
    const payloadHash = request.headers['x-amz-content-sha256']
    if (typeof payloadHash !== 'string') throw new StorageError('MISSING_CONTENT_SHA256')
    const amzDate = String(request.headers['x-amz-date'] ?? '')
    const signature = requestSignature({ method: request.method, url: request.raw.url as string, headers: request.headers, payloadHash }, auth, amzDate, credentials.secretAccessKey)
    if (!amzDate.startsWith(auth.date) || !sameSignature(signature, auth.signature)) throw new StorageError('SIGNATURE_MISMATCH', { detail: auth.accessKeyId })
    return { credentials, auth, amzDate, payloadHash }
  }

  /** A presigned URL: the query carries the signature; any Authorization header is not ours to read. */
  function verifyPresigned (request: FastifyRequest, { auth, amzDate, expiresSeconds, signedUrl }: Exclude<ReturnType<typeof parsePresigned>, 'malformed' | undefined>): Verified {
    const credentials = credentialsOf(auth.accessKeyId)
    const signature = requestSignature({ method: request.method, url: signedUrl, headers: request.headers, payloadHash: UNSIGNED_PAYLOAD }, auth, amzDate, credentials.secretAccessKey)
    if (!amzDate.startsWith(auth.date) || !sameSignature(signature, auth.signature)) throw new StorageError('SIGNATURE_MISMATCH', { detail: auth.accessKeyId })
    // Expiry follows the emulator's clock, from the instant the URL was signed.
    if (amzDateOf(services.clock.now() - expiresSeconds * 1000) > amzDate || files.isExpired(credentials)) throw new StorageError('URL_EXPIRED', { detail: auth.accessKeyId })
    return { credentials, auth, amzDate, payloadHash: UNSIGNED_PAYLOAD }
  }

  /** The object's bytes, once the payload is checked against the way it was signed. */
  function payloadOf (body: Buffer, { credentials, auth, amzDate, payloadHash }: Verified): Buffer {
    if (payloadHash === UNSIGNED_PAYLOAD) return body
    if (/^[0-9a-f]{64}$/.test(payloadHash)) {
      if (createHash('sha256').update(body).digest('hex') !== payloadHash) throw new StorageError('CONTENT_SHA256_MISMATCH')
      return body
    }
    if (payloadHash === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' || payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')) {
      const signing = payloadHash === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
        ? undefined
        : { key: signingKey(credentials.secretAccessKey, auth), amzDate, scope: auth.scope, seed: auth.signature }
      const decoded = decodeChunked(body, signing)
      if (decoded === undefined) throw new StorageError(signing === undefined ? 'INCOMPLETE_BODY' : 'SIGNATURE_MISMATCH', { detail: 'aws-chunked body' })
      return decoded
    }
    throw new StorageError('CONTENT_SHA256_MISMATCH', { detail: `x-amz-content-sha256: ${payloadHash}` })
  }

  app.put(`/${STS_BUCKET}/*`, {
    config: {
      operation: 'putObject',
      surface: 'files',
      // The route's wildcard would be a path parameter named "*" in the OpenAPI document: it is the key.
      swaggerTransform: ({ schema, url }) => ({
        url: url.replace('*', ':key'),
        schema: { ...schema, params: Type.Object({ key: Type.String({ description: 'The object key (resource_uri), slashes included' }) }) }
      })
    },
    schema: {
      operationId: 'putObject',
      tags: ['files'],
      summary: 'Put an object with STS credentials (S3-compatible, path-style)',
      description: 'Where the presigned URLs of POST /v3/files/presign and /v3/files/upload-credentials point (the query carries the signature; the file is then named by its file_token), and where the credentials of POST /v2/openapi/upload/sts/token point (s3_host, resource_bucket, resource_uri; AWS Signature V4 with the session token; the object is then referenced as {"object":{"bucket","key"}}).',
      security: [],
      params: Type.Object({ '*': Type.String({ description: 'The object key (resource_uri)' }) }),
      response: {
        200: { description: 'Stored (empty body); ETag is the MD5 of the object', type: 'string' },
        400: XmlError('ExpiredToken, InvalidToken, EntityTooLarge, XAmzContentSHA256Mismatch, IncompleteBody, InvalidRequest or AuthorizationHeaderMalformed (XML)'),
        403: XmlError('AccessDenied, InvalidAccessKeyId or SignatureDoesNotMatch (XML)')
      }
    },
    preParsing: async (request, _reply, payload) => {
      verified.set(request, verify(request))
      return payload
    }
  }, async (request, reply) => {
    const check = verified.get(request) as Verified
    const bytes = payloadOf(request.body === undefined ? Buffer.alloc(0) : request.body as Buffer, check)
    if (bytes.length > check.credentials.maxBytes) throw new StorageError('ENTITY_TOO_LARGE', { detail: `${bytes.length} bytes` })
    const object = files.putObject(check.credentials, bytes)
    request.log.info({ bucket: object.bucket, key: object.key, size: bytes.length }, 'object stored')
    return reply.header('ETag', object.etag).send('')
  })
}

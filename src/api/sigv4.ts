/**
 * AWS Signature Version 4, as S3 checks it: the canonical request, the string to sign, the
 * signing key, and the aws-chunked payload (each chunk signed after the previous one, or
 * unsigned with a trailer). Pure functions over the request's parts; no Fastify here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export const ALGORITHM = 'AWS4-HMAC-SHA256'
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex')

export interface Authorization {
  readonly accessKeyId: string
  /** `<yyyymmdd>/<region>/<service>/aws4_request` */
  readonly scope: string
  readonly date: string
  readonly region: string
  readonly service: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 +Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request *, *SignedHeaders=([a-z0-9;-]+) *, *Signature=([0-9a-f]{64})$/

/** Parses `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export function parseAuthorization (header: string): Authorization | undefined {
  const match = AUTHORIZATION.exec(header.trim())
  if (match === null) return undefined
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string, string]
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request`, signedHeaders: signedHeaders.split(';'), signature }
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function encode (value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function decode (value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Byte order, as SigV4 sorts (localeCompare would not). */
const order = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0

export function canonicalQuery (query: string): string {
  return query.split('&').filter((pair) => pair !== '').map((pair) => {
    const equals = pair.indexOf('=')
    const [key, value] = equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)]
    return [encode(decode(key)), encode(decode(value))] as const
  }).sort((a, b) => order(a[0], b[0]) || order(a[1], b[1]))
    .map(([key, value]) => `${key}=${value}`).join('&')
}

export interface SignedRequest {
  readonly method: string
  /** The path and query exactly as sent (S3 signs the path as it is, without normalising it). */
  readonly url: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** The x-amz-content-sha256 value. */
  readonly payloadHash: string
}

export function canonicalRequest (request: SignedRequest, signedHeaders: readonly string[]): string {
  const question = request.url.indexOf('?')
  const path = question === -1 ? request.url : request.url.slice(0, question)
  const query = question === -1 ? '' : request.url.slice(question + 1)
  const headers = signedHeaders.map((name) => {
    const value = request.headers[name]
    const text = Array.isArray(value) ? value.join(',') : value ?? ''
    return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`
  }).join('')
  return [request.method, path, canonicalQuery(query), headers, signedHeaders.join(';'), request.payloadHash].join('\n')
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest()
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

export function signingKey (secret: string, auth: Authorization): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), 'aws4_request')
}

/** The signature of a request: over its canonical request, at the time of `x-amz-date`. */
export function requestSignature (request: SignedRequest, auth: Authorization, amzDate: string, secret: string): string {
  const stringToSign = [ALGORITHM, amzDate, auth.scope, sha256(canonicalRequest(request, auth.signedHeaders))].join('\n')
  return createHmac('sha256', signingKey(secret, auth)).update(stringToSign).digest('hex')
}

/** The query parameters of a presigned URL (SigV4 query authentication). */
export const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const

/** The region the emulated S3 endpoint signs presigned URLs for. */
export const PRESIGN_REGION = 'us-west-2'

/** `20260101T000000Z`: the form of x-amz-date and X-Amz-Date. */
export function amzDateOf (ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

export interface PresignInput {
  readonly method: string
  /** host[:port], as the client will send it in Host. */
  readonly host: string
  /** The object's path, e.g. `/tripo-data/<key>`. */
  readonly path: string
  readonly accessKeyId: string
  readonly secret: string
  /** When it is signed (ms) and for how long (seconds). */
  readonly signedAt: number
  readonly expiresSeconds: number
}

/**
 * The query of a presigned URL, as S3 clients build it: only `host` signed, the payload
 * `UNSIGNED-PAYLOAD`, the signature over the canonical request without itself.
 */
export function presignQuery (input: PresignInput): string {
  const amzDate = amzDateOf(input.signedAt)
  const date = amzDate.slice(0, 8)
  const scope = `${date}/${PRESIGN_REGION}/s3/aws4_request`
  const query = [
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${input.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(input.expiresSeconds)],
    ['X-Amz-SignedHeaders', 'host']
  ].map(([name, value]) => `${name}=${encode(value as string)}`).join('&')
  const auth: Authorization = { accessKeyId: input.accessKeyId, date, region: PRESIGN_REGION, service: 's3', scope, signedHeaders: ['host'], signature: '' }
  const signature = requestSignature({ method: input.method, url: `${input.path}?${query}`, headers: { host: input.host }, payloadHash: UNSIGNED_PAYLOAD }, auth, amzDate, input.secret)
  return `${query}&X-Amz-Signature=${signature}`
}

export interface Presigned {
  readonly auth: Authorization
  readonly amzDate: string
  readonly expiresSeconds: number
  /** The URL as sent, less its X-Amz-Signature: what the signature covers. */
  readonly signedUrl: string
}

/** Reads the SigV4 query authentication of a URL; undefined when the URL carries none, 'malformed' when it is broken. */
export function parsePresigned (url: string): Presigned | 'malformed' | undefined {
  const question = url.indexOf('?')
  if (question === -1) return undefined
  const pairs = url.slice(question + 1).split('&')
  const values = new Map<string, string>()
  for (const pair of pairs) {
    const equals = pair.indexOf('=')
    if (equals !== -1) values.set(decode(pair.slice(0, equals)), decode(pair.slice(equals + 1)))
  }
  const signature = values.get('X-Amz-Signature')
  if (signature === undefined) return undefined
  const credential = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(values.get('X-Amz-Credential') ?? '')
  const amzDate = values.get('X-Amz-Date') ?? ''
  const expires = values.get('X-Amz-Expires') ?? ''
  if (values.get('X-Amz-Algorithm') !== ALGORITHM || credential === null || !/^\d{8}T\d{6}Z$/.test(amzDate) || !/^\d{1,6}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return 'malformed'
  const [, accessKeyId, date, region, service] = credential as unknown as [string, string, string, string, string]
  const signedHeaders = (values.get('X-Amz-SignedHeaders') ?? '').split(';')
  const unsigned = pairs.filter((pair) => !pair.startsWith('X-Amz-Signature=')).join('&')
  return {
    auth: { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request`, signedHeaders, signature },
    amzDate,
    expiresSeconds: Number(expires),
    signedUrl: `${url.slice(0, question)}?${unsigned}`
  }
}

export function sameSignature (a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
}

/** Whether a secret a client sent is the one expected, in constant time (lengths included: both are hashed first). */
export function sameSecret (given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false
  return timingSafeEqual(sha256Digest(given), sha256Digest(expected))
}

const sha256Digest = (text: string): Buffer => createHash('sha256').update(text).digest()

export interface ChunkSigning {
  readonly key: Buffer
  readonly amzDate: string
  readonly scope: string
  /** The request's own signature: the first chunk chains on it. */
  readonly seed: string
}

/**
 * Decodes an aws-chunked body (`<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` ... `0...`),
 * checking the chain of chunk signatures when `signing` is given. Trailers after the last chunk
 * are ignored. Returns undefined when the body is not well formed or a signature is wrong.
 */
export function decodeChunked (body: Buffer, signing?: ChunkSigning): Buffer | undefined {
  const parts: Buffer[] = []
  let previous = signing?.seed
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd === -1) return undefined
    const match = /^([0-9a-fA-F]{1,8})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(body.toString('latin1', at, lineEnd))
    if (match === null) return undefined
    const size = parseInt(match[1] as string, 16)
    const data = body.subarray(lineEnd + 2, lineEnd + 2 + size)
    if (data.length !== size) return undefined
    if (signing !== undefined) {
      const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previous, EMPTY_SHA256, sha256(data)].join('\n')
      const expected = createHmac('sha256', signing.key).update(stringToSign).digest('hex')
      if (match[2] === undefined || !sameSignature(match[2], expected)) return undefined
      previous = expected
    }
    if (size === 0) return Buffer.concat(parts)
    parts.push(data)
    at = lineEnd + 2 + size
    if (body.toString('latin1', at, at + 2) !== '\r\n') return undefined
    at += 2
  }
}

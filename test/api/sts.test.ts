/**
 * STS uploads: the credentials of `/upload/sts/token`, a PUT by the real AWS SDK S3 client to
 * the emulator's own S3 endpoint (SigV4 checked), the object referenced by tasks, and every
 * refusal of the S3 endpoint as S3's XML error.
 */
import { Readable } from 'node:stream'
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3'
import t, { type Test } from 'tap'
import { bearer, harness, type Harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'
import { fixture, GLB, PNG, signedPut, type StsToken, stsToken } from '../fixtures/files.ts'

async function listen (h: Harness): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const address = h.app.server.address() as { port: number }
  return `http://127.0.0.1:${address.port}`
}

function s3Client (endpoint: string, token: StsToken): S3Client {
  return new S3Client({
    region: 'us-west-2',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: token.sts_ak, secretAccessKey: token.sts_sk, sessionToken: token.session_token },
    maxAttempts: 1
  })
}

const put = (h: Harness, token: StsToken, body: Buffer, options: Parameters<typeof signedPut>[2] = {}) => {
  const { url, headers } = signedPut(token, body, options)
  return h.app.inject({ method: 'PUT', url, headers, payload: body })
}

function expectXml (t: Test, response: { statusCode: number, headers: Record<string, unknown>, body: string }, status: number, code: string): void {
  t.equal(response.statusCode, status, response.body)
  t.match(response.headers['content-type'], /^application\/xml/)
  t.match(response.body, new RegExp(`^<\\?xml version="1\\.0" encoding="UTF-8"\\?>\\n<Error><Code>${code}</Code><Message>[^<]+</Message><RequestId>[0-9a-f-]{36}</RequestId></Error>$`))
}

t.test('the token has the six fields of the reference', async (t) => {
  const h = await harness(t)
  const response = await h.app.inject({ method: 'POST', url: '/v2/openapi/upload/sts/token', headers: { ...bearer(), host: 'mock.test:9000' }, payload: { format: 'glb' } })
  t.equal(response.statusCode, 200)
  const { code, data } = response.json()
  t.equal(code, 0)
  t.same(Object.keys(data).sort(), ['resource_bucket', 'resource_uri', 's3_host', 'session_token', 'sts_ak', 'sts_sk'])
  t.equal(data.s3_host, 'mock.test:9000', 'the host the client reached')
  t.equal(data.resource_bucket, 'tripo-data')
  t.match(data.resource_uri, /^tcli_[0-9a-f]{32}\/20260101\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\/input\.glb$/)
  t.match(data.sts_ak, /^ASIA[A-Z2-7]{16}$/)
  t.match(data.sts_sk, /^[A-Za-z0-9+/]{40}$/)
  t.ok(data.session_token.length > 100)
  const again = await stsToken(h, 'png')
  t.equal(again.resource_uri.split('/')[0], data.resource_uri.split('/')[0], 'one folder per key')
  t.match(again.resource_uri, /\/input\.png$/)
  t.not((await stsToken(h, 'png', OTHER_KEY)).resource_uri.split('/')[0], data.resource_uri.split('/')[0], 'another key, another folder')

  const configured = await harness(t, { publicUrl: 'https://tripo.example:8443/base/' })
  t.equal((await stsToken(configured, 'png')).s3_host, 'tripo.example:8443', 'or the host of publicUrl')
})

t.test('formats other than webp, jpeg, png, glb, obj, fbx, stl answer 1004', async (t) => {
  const h = await harness(t)
  for (const payload of [{ format: 'gif' }, { format: 'GLB' }, {}, { format: 3 }]) {
    const response = await h.app.inject({ method: 'POST', url: '/v2/openapi/upload/sts/token', headers: bearer(), payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(response.json().code, 1004)
  }
  for (const format of ['webp', 'jpeg', 'png', 'glb', 'obj', 'fbx', 'stl']) t.match((await stsToken(h, format)).resource_uri, new RegExp(`input\\.${format}$`))
})

t.test('the AWS SDK puts an object; import_model imports it and its output downloads the same bytes', async (t) => {
  const h = await harness(t)
  const endpoint = await listen(h)
  const token = await stsToken(h, 'glb')
  const result = await s3Client(endpoint, token).send(new PutObjectCommand({ Bucket: token.resource_bucket, Key: token.resource_uri, Body: GLB }))
  t.equal(result.$metadata.httpStatusCode, 200)
  t.match(result.ETag, /^"[0-9a-f]{32}"$/)
  t.ok(h.logs.some((line) => line['msg'] === 'object stored'))

  const id = await h.finishedTask({ type: 'import_model', file: { object: { bucket: token.resource_bucket, key: token.resource_uri } } })
  const task = (await h.getTask(id)).json().data
  t.equal(task.status, 'success')
  t.equal(task.consumed_credit, 0, 'import is free')
  t.match(task.output.model, new RegExp(`^http://localhost(:80)?/files/${id}/imported\\.glb\\?Expires=\\d+&Signature=[\\w-]+&Key-Pair-Id=\\w+$`))
  t.same(task.result.model?.type, 'glb')
  const download = await h.app.inject({ url: task.output.model.replace(/^http:\/\/[^/]+/, ''), headers: bearer() })
  t.equal(download.statusCode, 200)
  t.equal(download.headers['content-type'], 'model/gltf-binary')
  t.ok(download.rawPayload.equals(GLB), 'the imported bytes come back')

  // A later task on the import post-processes it.
  const converted = await h.finishedTask({ type: 'convert_model', original_model_task_id: id, format: 'FBX' })
  t.match((await h.getTask(converted)).json().data.output.model, /\/model\.fbx\?/)
})

t.test('the AWS SDK streams an object (aws-chunked with a checksum trailer)', async (t) => {
  const h = await harness(t)
  const endpoint = await listen(h)
  const token = await stsToken(h, 'fbx')
  const bytes = fixture('model.fbx')
  await s3Client(endpoint, token).send(new PutObjectCommand({ Bucket: token.resource_bucket, Key: token.resource_uri, Body: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), ContentLength: bytes.length }))
  t.ok(h.services.files.objectAt(token.resource_bucket, token.resource_uri)?.bytes.equals(bytes), 'stored decoded')
  const id = await h.finishedTask({ type: 'import_model', file: { object: { bucket: token.resource_bucket, key: token.resource_uri } } })
  const url = (await h.getTask(id)).json().data.output.model as string
  t.match(url, /\/imported\.fbx\?/)
  const download = await h.app.inject({ url: url.replace(/^http:\/\/[^/]+/, '') })
  t.equal(download.headers['content-type'], 'application/octet-stream')
  t.ok(download.rawPayload.equals(bytes))
})

t.test('the AWS SDK sees S3 errors: expired credentials, a wrong secret, a foreign key', async (t) => {
  const h = await harness(t, { stsCredentialTtlSeconds: 60 })
  const endpoint = await listen(h)
  const token = await stsToken(h, 'png')
  const send = (client: S3Client, key = token.resource_uri) => client.send(new PutObjectCommand({ Bucket: token.resource_bucket, Key: key, Body: PNG }))
  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise
      return 'stored'
    } catch (error) {
      return error instanceof S3ServiceException ? `${error.$metadata.httpStatusCode} ${error.name}` : String(error)
    }
  }
  t.equal(await codeOf(send(s3Client(endpoint, { ...token, sts_sk: 'x'.repeat(40) }))), '403 SignatureDoesNotMatch')
  t.equal(await codeOf(send(s3Client(endpoint, token), `${token.resource_uri}.other`)), '403 AccessDenied', 'the credentials cover one object')
  t.equal(await codeOf(send(s3Client(endpoint, { ...token, sts_ak: 'ASIAUNKNOWNUNKNOWN00' }))), '403 InvalidAccessKeyId')
  t.equal(await codeOf(send(s3Client(endpoint, { ...token, session_token: 'forged' }))), '400 InvalidToken')
  h.clock.advance(61 * 1000)
  t.equal(await codeOf(send(s3Client(endpoint, token))), '400 ExpiredToken')
})

t.test('objects are the key\'s: another key\'s or an unknown object answers 2019', async (t) => {
  const h = await harness(t)
  const token = await stsToken(h, 'glb')
  t.equal((await put(h, token, GLB)).statusCode, 200)
  const file = { object: { bucket: token.resource_bucket, key: token.resource_uri } }
  const foreign = await h.createTask({ type: 'import_model', file }, OTHER_KEY)
  t.equal(foreign.statusCode, 404)
  t.equal(foreign.json().code, 2019)
  t.equal((await h.createTask({ type: 'import_model', file: { object: { bucket: 'tripo-data', key: 'nothing' } } })).json().code, 2019)
  t.equal((await h.createTask({ type: 'import_model', file: { object: { bucket: 'other', key: token.resource_uri } } })).json().code, 2019)
  h.services.emulator.reset(KEY)
  t.equal((await h.createTask({ type: 'import_model', file })).json().code, 2019, 'reset forgets the key\'s objects')
  t.equal((await put(h, token, GLB)).statusCode, 403, 'and its credentials')
})

t.test('import_model takes only the object form (1004), and a model (2004, empty 2003)', async (t) => {
  const h = await harness(t)
  const token = await stsToken(h, 'glb')
  await put(h, token, GLB)
  const object = { bucket: token.resource_bucket, key: token.resource_uri }
  for (const file of [{ type: 'glb', url: 'https://example.com/a.glb' }, { file_token: '0b7b8a2e-3f5e-4f44-9d5c-3a1f0b1e2d3c' }, { data: GLB.toString('base64') }, { object, url: 'https://example.com/a.glb' }]) {
    const response = await h.createTask({ type: 'import_model', file })
    t.equal(response.statusCode, 400, JSON.stringify(file).slice(0, 60))
    t.equal(response.json().code, 1004)
  }
  const cases: Array<[string, Buffer, number]> = [
    ['png', PNG, 2004],
    ['glb', Buffer.alloc(0), 2003],
    ['glb', Buffer.from('not a model, not an image'), 2004]
  ]
  for (const [format, bytes, code] of cases) {
    const other = await stsToken(h, format)
    t.equal((await put(h, other, bytes)).statusCode, 200)
    const response = await h.createTask({ type: 'import_model', file: { object: { bucket: other.resource_bucket, key: other.resource_uri } } })
    t.equal(response.json().code, code, `${format} object of ${bytes.length} bytes`)
  }
})

t.test('each model format is recognised by its bytes and served back with its extension', async (t) => {
  const h = await harness(t)
  const asciiStl = Buffer.from('solid cube\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n  endloop\n endfacet\nendsolid cube\n')
  const obj = Buffer.from('# a triangle\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n')
  const cases: Array<[string, Buffer, string, string]> = [
    ['fbx', fixture('rigged.fbx'), 'fbx', 'application/octet-stream'],
    ['fbx', Buffer.from('; FBX 7.4.0 project file\nFBXHeaderExtension:  {\n}\n'), 'fbx', 'application/octet-stream'],
    ['stl', fixture('model.stl'), 'stl', 'model/stl'],
    ['stl', asciiStl, 'stl', 'model/stl'],
    ['obj', obj, 'obj', 'model/obj'],
    // The extension follows the bytes, not the format the credentials were asked for.
    ['obj', GLB, 'glb', 'model/gltf-binary']
  ]
  for (const [format, bytes, ext, contentType] of cases) {
    const token = await stsToken(h, format)
    await put(h, token, bytes)
    const id = await h.finishedTask({ type: 'import_model', file: { object: { bucket: token.resource_bucket, key: token.resource_uri } } })
    const url = (await h.getTask(id)).json().data.output.model as string
    t.match(url, new RegExp(`/imported\\.${ext}\\?`), `${format} → ${ext}`)
    const download = await h.app.inject({ url: url.replace(/^http:\/\/[^/]+/, '') })
    t.equal(download.headers['content-type'], contentType)
    t.ok(download.rawPayload.equals(bytes))
  }
})

t.test('an image object feeds image slots; a model there answers 2004', async (t) => {
  const h = await harness(t)
  const image = await stsToken(h, 'png')
  await put(h, image, PNG)
  t.equal((await h.createTask({ type: 'image_to_model', file: { type: 'png', object: { bucket: image.resource_bucket, key: image.resource_uri } } })).statusCode, 200)
  const model = await stsToken(h, 'png')
  await put(h, model, GLB)
  const response = await h.createTask({ type: 'image_to_model', file: { object: { bucket: model.resource_bucket, key: model.resource_uri } } })
  t.equal(response.statusCode, 400)
  t.equal(response.json().code, 2004)
})

t.test('a deleted import answers 2019 on download', async (t) => {
  const h = await harness(t)
  const token = await stsToken(h, 'glb')
  await put(h, token, GLB)
  const id = await h.finishedTask({ type: 'import_model', file: { object: { bucket: token.resource_bucket, key: token.resource_uri } } })
  const url = ((await h.getTask(id)).json().data.output.model as string).replace(/^http:\/\/[^/]+/, '')
  h.services.files.reset(KEY)
  const response = await h.app.inject({ url })
  t.equal(response.statusCode, 404)
  t.equal(response.json().code, 2019)
})

t.test('the S3 endpoint checks the signature, the payload and the size', async (t) => {
  const h = await harness(t, { imageMaxBytes: 4096 })
  const token = await stsToken(h, 'png')
  const ok = await put(h, token, PNG.subarray(0, 4096), { payloadHash: 'UNSIGNED-PAYLOAD' })
  const SMALL = PNG.subarray(0, 2000)
  t.equal(ok.statusCode, 200, ok.body)
  t.match(ok.headers.etag, /^"[0-9a-f]{32}"$/)
  t.equal(ok.body, '')

  const cases: Array<[string, Promise<{ statusCode: number, headers: Record<string, unknown>, body: string }>, number, string]> = [
    ['no Authorization', h.app.inject({ method: 'PUT', url: `/tripo-data/${token.resource_uri}`, payload: SMALL }), 403, 'AccessDenied'],
    ['another scheme', h.app.inject({ method: 'PUT', url: `/tripo-data/${token.resource_uri}`, headers: bearer(), payload: SMALL }), 400, 'AuthorizationHeaderMalformed'],
    ['a wrong secret', put(h, token, SMALL, { secret: 'wrong' }), 403, 'SignatureDoesNotMatch'],
    ['a date outside the credential scope', put(h, token, SMALL, { amzDate: '20251231T235959Z', scopeDate: '20260101' }), 403, 'SignatureDoesNotMatch'],
    ['no session token', put(h, token, SMALL, { sessionToken: null }), 400, 'InvalidToken'],
    ['no x-amz-content-sha256', put(h, token, SMALL, { payloadHash: null }), 400, 'InvalidRequest'],
    ['a body that is not the signed one', put(h, token, SMALL, { payloadHash: '0'.repeat(64) }), 400, 'XAmzContentSHA256Mismatch'],
    ['an unknown payload mode', put(h, token, SMALL, { payloadHash: 'STREAMING-SOMETHING' }), 400, 'XAmzContentSHA256Mismatch'],
    ['too large', put(h, token, Buffer.concat([PNG, Buffer.alloc(4096)])), 400, 'EntityTooLarge'],
    ['another object', put(h, token, SMALL, { path: `/tripo-data/${token.resource_uri}x` }), 403, 'AccessDenied']
  ]
  for (const [label, response, status, code] of cases) {
    t.test(label, async (t) => expectXml(t, await response, status, code))
  }
})

t.test('a missing x-amz-date or a signed header that is absent still checks the signature', async (t) => {
  const h = await harness(t)
  const token = await stsToken(h, 'png')
  const { url, headers } = signedPut(token, PNG, { amzDate: '20260101T000000Z' })
  const { 'x-amz-date': _date, ...withoutDate } = headers
  expectXml(t, await h.app.inject({ method: 'PUT', url, headers: withoutDate, payload: PNG }), 403, 'SignatureDoesNotMatch')
  const withQuery = signedPut(token, PNG, { path: `/tripo-data/${token.resource_uri}?x-id=PutObject&a=%2F&b` })
  t.equal((await h.app.inject({ method: 'PUT', url: withQuery.url, headers: withQuery.headers, payload: PNG })).statusCode, 200, 'the query is part of the signature')
})

t.test('aws-chunked bodies: signed chunks are checked one by one; the unsigned form with a trailer', async (t) => {
  const h = await harness(t, { modelMaxBytes: 2000 })
  const token = await stsToken(h, 'glb')
  const { EMPTY_SHA256, signingKey, parseAuthorization } = await import('../../src/api/sigv4.ts')
  const { createHash, createHmac } = await import('node:crypto')
  const data = GLB.subarray(0, 1500)

  const signedChunks = (chunks: Buffer[], tamper = false) => {
    const { url, headers } = signedPut(token, Buffer.alloc(0), { payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', extraHeaders: { 'x-amz-decoded-content-length': String(data.length) } })
    const auth = parseAuthorization(headers['authorization'] as string)
    if (auth === undefined) throw new Error('no auth')
    const key = signingKey(token.sts_sk, auth)
    let previous = auth.signature
    const parts: Buffer[] = []
    for (const chunk of [...chunks, Buffer.alloc(0)]) {
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', '20260101T000000Z', auth.scope, previous, EMPTY_SHA256, createHash('sha256').update(chunk).digest('hex')].join('\n')
      previous = createHmac('sha256', key).update(toSign).digest('hex')
      const signature = tamper && chunk.length === 0 ? '1'.repeat(64) : previous
      parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), chunk, Buffer.from('\r\n'))
    }
    return h.app.inject({ method: 'PUT', url, headers, payload: Buffer.concat(parts) })
  }
  t.equal((await signedChunks([data.subarray(0, 1000), data.subarray(1000)])).statusCode, 200)
  t.ok(h.services.files.objectAt(token.resource_bucket, token.resource_uri)?.bytes.equals(data))
  expectXml(t, await signedChunks([data], true), 403, 'SignatureDoesNotMatch')

  const unsigned = (body: string | Buffer, decoded = String(data.length)) => {
    const { url, headers } = signedPut(token, Buffer.alloc(0), { payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', extraHeaders: { 'x-amz-decoded-content-length': decoded } })
    return h.app.inject({ method: 'PUT', url, headers, payload: body })
  }
  const framed = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n')])
  t.equal((await unsigned(framed)).statusCode, 200)
  for (const broken of ['', 'zz\r\nabc\r\n0\r\n\r\n', '10\r\nabc\r\n', '3\r\nabcXX0\r\n\r\n', '3\r\nabc']) {
    expectXml(t, await unsigned(broken, '3'), 400, 'IncompleteBody')
  }
  expectXml(t, await unsigned(Buffer.concat([Buffer.from('bb8\r\n'), Buffer.alloc(3000), Buffer.from('\r\n0\r\n\r\n')]), '10'), 400, 'EntityTooLarge')
})

t.test('the token route and the S3 endpoint are documented', async (t) => {
  const h = await harness(t)
  const document = (await h.app.inject({ url: '/docs/json' })).json()
  const put = document.paths['/tripo-data/{key}']?.put
  t.ok(put, 'PUT /tripo-data/{key} is documented')
  t.match(put?.parameters, [{ name: 'key', in: 'path', required: true }], 'its wildcard is the object key')
  t.same(put?.tags, ['files'])
  t.same(Object.keys(put?.responses ?? {}).sort(), ['200', '400', '403'])
})

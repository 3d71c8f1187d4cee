/**
 * V3's files (V3 reference §3.7): `POST /v3/files` (multipart `file`: images and models, judged by
 * their bytes), `POST /v3/files/presign` and `/v3/files/upload-credentials` (a presigned PUT on
 * the emulator's own S3 endpoint, then the `file_token`), each ending in a task that uses the
 * file, and every refusal on the way.
 */
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { bearer, harness, type Harness, KEY, OTHER_KEY, START } from '../../fixtures/harness.ts'
import { fixture, GLB, JPEG, multipart, PNG, WEBP } from '../../fixtures/files.ts'

const FILE_TOKEN = /^file_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const MODEL = 'v3.1-20260211'
const OBJ = Buffer.from('# a triangle\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//1\n')
const ASCII_STL = Buffer.from('solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n')

/** Every format `/v3/files` takes, with what the import of a model serves it as. */
const IMAGES = [['JPEG', JPEG], ['PNG', PNG], ['WebP', WEBP]] as const
const MODELS = [
  ['GLB', GLB, 'model/gltf-binary'],
  ['glTF', fixture('model.gltf'), 'model/gltf+json'],
  ['FBX', fixture('model.fbx'), 'application/octet-stream'],
  ['OBJ', OBJ, 'model/obj'],
  ['binary STL', fixture('model.stl'), 'model/stl'],
  ['ASCII STL', ASCII_STL, 'model/stl']
] as const

function uploadV3 (h: Harness, data: Buffer | string, options: { key?: string, name?: string, filename?: string, contentType?: string } = {}): Promise<LightMyRequestResponse> {
  const { payload, headers } = multipart([{ name: options.name ?? 'file', data, filename: options.filename ?? 'upload.bin', contentType: options.contentType ?? 'application/octet-stream' }])
  return h.app.inject({ method: 'POST', url: '/v3/files', headers: { ...bearer(options.key ?? KEY), ...headers }, payload })
}

async function fileToken (h: Harness, data: Buffer, key = KEY): Promise<string> {
  const response = await uploadV3(h, data, { key })
  if (response.statusCode !== 200) throw new Error(`upload failed: ${response.body}`)
  return (response.json() as { data: { file_token: string } }).data.file_token
}

function create (h: Harness, path: string, body: Record<string, unknown>, key = KEY): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'POST', url: `/v3${path}`, headers: bearer(key), payload: body })
}

/** The V3 error envelope, with the trace id as request_id. */
function expectError (t: Test, response: LightMyRequestResponse, status: number, code: number): void {
  t.equal(response.statusCode, status, response.body)
  const body = response.json()
  t.match(body, { code, status: 'error', message: String, suggestion: String })
  t.equal(body.request_id, response.headers['x-tripo-trace-id'])
}

/** Creates a task, lets it finish, and answers it (V3). */
async function finished (t: Test, h: Harness, path: string, body: Record<string, unknown>, key = KEY): Promise<Record<string, any>> {
  const response = await create(h, path, body, key)
  t.equal(response.statusCode, 200, response.body)
  h.clock.advance(10 * 60 * 1000)
  const read = await h.app.inject({ url: `/v3/tasks/${response.json().data.task_id}`, headers: bearer(key) })
  return read.json().data
}

/** An output URL of a task read through inject (host localhost:80), on the socket's base instead. */
const at = (base: string, url: string) => { const { pathname, search } = new URL(url); return `${base}${pathname}${search}` }

/** The bytes at a download URL of the emulator (through inject). */
async function downloaded (h: Harness, url: string): Promise<{ bytes: Buffer, type: string }> {
  const { pathname, search } = new URL(url)
  const response = await h.app.inject({ url: pathname + search, headers: bearer() })
  return { bytes: response.rawPayload, type: String(response.headers['content-type']) }
}

t.test('POST /v3/files takes images and models, judged by their bytes, never their name or type', async (t) => {
  const h = await harness(t)
  for (const [label, bytes] of [...IMAGES, ...MODELS]) {
    const response = await uploadV3(h, bytes, { filename: 'misnamed.txt', contentType: 'text/plain' })
    t.equal(response.statusCode, 200, `${label}: ${response.body}`)
    const body = response.json()
    t.same(Object.keys(body), ['code', 'status', 'data'])
    t.match(body, { code: 0, status: 'success', data: { file_token: FILE_TOKEN } }, label)
  }
  t.ok(h.logs.some((line) => line['msg'] === 'file uploaded'))
})

t.test('an uploaded image feeds image-to-model; an uploaded model is imported and served back byte for byte', async (t) => {
  const h = await harness(t)
  for (const [label, bytes] of IMAGES) {
    const task = await finished(t, h, '/generation/image-to-model', { input: await fileToken(h, bytes), model: MODEL })
    t.match(task, { type: 'image_to_model', status: 'success', output: { model_url: /^http/ } }, label)
  }
  for (const [label, bytes, type] of MODELS) {
    const task = await finished(t, h, '/models/import', { input: { file_token: await fileToken(h, bytes) } })
    t.match(task, { type: 'import_model', status: 'success' }, label)
    const served = await downloaded(h, task.output.model_url)
    t.ok(served.bytes.equals(bytes), `${label}: the very bytes`)
    t.equal(served.type, type, `${label}: as ${type}`)
  }
  // The kind still matters where the file is used.
  expectError(t, await create(h, '/models/import', { input: await fileToken(h, PNG) }), 400, 2004)
  expectError(t, await create(h, '/generation/image-to-model', { input: await fileToken(h, GLB), model: MODEL }), 400, 2004)
})

t.test('over a real socket, as a client\'s FormData sends it', async (t) => {
  const h = await harness(t)
  const base = await h.listen()
  const form = new FormData()
  form.append('file', new Blob([GLB]), 'cat.glb')
  const response = await fetch(`${base}/v3/files`, { method: 'POST', headers: bearer(), body: form })
  t.equal(response.status, 200)
  const token = ((await response.json()) as { data: { file_token: string } }).data.file_token
  t.match(token, FILE_TOKEN)
  const task = await finished(t, h, '/models/import', { input: token })
  t.ok(Buffer.from(await (await fetch(at(base, task.output.model_url))).arrayBuffer()).equals(GLB))
})

t.test('refusals: empty 2003, unknown bytes 2004, an image over imageMaxBytes 2022, a model over modelMaxBytes 2021', async (t) => {
  const h = await harness(t, { imageMaxBytes: 1000, modelMaxBytes: 2000 })
  expectError(t, await uploadV3(h, Buffer.alloc(0)), 400, 2003)
  expectError(t, await uploadV3(h, Buffer.from('GIF89a, which is not taken'), { filename: 'cat.png', contentType: 'image/png' }), 400, 2004)
  expectError(t, await uploadV3(h, Buffer.from([0, 1, 2, 3, 0, 0, 0, 0])), 400, 2004)
  expectError(t, await uploadV3(h, Buffer.concat([PNG.subarray(0, 500), Buffer.alloc(1000)])), 400, 2022)
  const model = await uploadV3(h, Buffer.concat([OBJ, Buffer.alloc(2000, 0x20)]))
  expectError(t, model, 400, 2021)
  t.match(model.json(), { message: 'The model file is over 150 MB' })
  t.equal((await uploadV3(h, Buffer.concat([OBJ, Buffer.alloc(1500, 0x20)]))).statusCode, 200, 'a model between the two limits')
})

t.test('an image larger than both limits is still an image too large (2022), not a model (2021)', async (t) => {
  // The multipart reader stops at the larger limit: what it read says which kind the file is.
  const h = await harness(t, { imageMaxBytes: 1000, modelMaxBytes: 2000 })
  expectError(t, await uploadV3(h, PNG), 400, 2022)
  expectError(t, await uploadV3(h, Buffer.concat([JPEG, Buffer.alloc(3000)])), 400, 2022)
  expectError(t, await uploadV3(h, GLB), 400, 2021)
  expectError(t, await uploadV3(h, Buffer.alloc(3000, 7)), 400, 2021)
})

t.test('not multipart 1003 (415 for a type V3 does not take), broken multipart 1003, no file part 1004', async (t) => {
  const h = await harness(t)
  expectError(t, await h.app.inject({ method: 'POST', url: '/v3/files', headers: bearer(), payload: { file: 'abc' } }), 400, 1003)
  expectError(t, await h.app.inject({ method: 'POST', url: '/v3/files', headers: { ...bearer(), 'content-type': 'text/plain' }, payload: 'abc' }), 415, 1003)
  const broken = multipart([{ name: 'file', data: PNG, filename: 'a.png' }])
  expectError(t, await h.app.inject({ method: 'POST', url: '/v3/files', headers: { ...bearer(), ...broken.headers }, payload: broken.payload.subarray(0, 200) }), 400, 1003)
  expectError(t, await uploadV3(h, PNG, { name: 'image' }), 400, 1004)
  const field = multipart([{ name: 'file', data: 'not a file part' }])
  expectError(t, await h.app.inject({ method: 'POST', url: '/v3/files', headers: { ...bearer(), ...field.headers }, payload: field.payload }), 400, 1004)
  const second = multipart([{ name: 'other', data: GLB, filename: 'a.glb' }, { name: 'file', data: PNG, filename: 'a.png' }, { name: 'file', data: Buffer.alloc(0), filename: 'b.png' }])
  const response = await h.app.inject({ method: 'POST', url: '/v3/files', headers: { ...bearer(), ...second.headers }, payload: second.payload })
  t.equal(response.statusCode, 200, 'the first part named file is the file; other parts are ignored')
})

t.test('uploads count against the key\'s upload rate (429/1007 with a Retry-After), per key', async (t) => {
  const h = await harness(t, { uploadsPerSecond: 2 })
  t.equal((await uploadV3(h, PNG)).statusCode, 200)
  t.equal((await uploadV3(h, PNG)).statusCode, 200)
  const limited = await uploadV3(h, PNG)
  expectError(t, limited, 429, 1007)
  t.equal(limited.headers['retry-after'], '1')
  t.equal((await uploadV3(h, PNG, { key: OTHER_KEY })).statusCode, 200, 'another key has its own window')
  h.clock.advance(1000)
  t.equal((await uploadV3(h, PNG)).statusCode, 200, 'a second later')
})

// ---- presigned uploads ----------------------------------------------------------------------------

interface Presigned { presigned_url: string, file_token: string, expires_in: number }
interface Credentials { upload_url: string, file_token: string, expires_at: string }

async function presign (h: Harness, format: string, key = KEY, host?: string): Promise<Presigned> {
  const response = await h.app.inject({ method: 'POST', url: '/v3/files/presign', headers: { ...bearer(key), ...(host === undefined ? {} : { host }) }, payload: { format } })
  if (response.statusCode !== 200) throw new Error(`presign failed: ${response.body}`)
  return response.json().data
}

async function uploadCredentials (h: Harness, key = KEY, host?: string): Promise<Credentials> {
  const response = await h.app.inject({ method: 'POST', url: '/v3/files/upload-credentials', headers: { ...bearer(key), ...(host === undefined ? {} : { host }) } })
  if (response.statusCode !== 200) throw new Error(`upload-credentials failed: ${response.body}`)
  return response.json().data
}

/** A base URL on a real socket, and the presign calls made with its host (so their URLs point at it). */
async function onSocket (t: Test, config = {}): Promise<{ h: Harness, base: string, host: string }> {
  const h = await harness(t, config)
  const base = await h.listen()
  return { h, base, host: new URL(base).host }
}

const put = (url: string, body: Buffer, headers: Record<string, string> = {}) => fetch(url, { method: 'PUT', body, headers })

function expectXml (t: Test, status: number, body: string, actual: number, code: string, message: string): void {
  t.equal(actual, status, body)
  t.match(body, new RegExp(`^<\\?xml version="1\\.0" encoding="UTF-8"\\?>\\n<Error><Code>${code}</Code><Message>${message}[^<]*</Message><RequestId>[0-9a-f-]{36}</RequestId></Error>$`))
}

t.test('presign validates the format (1004): the extensions of the reference, in any case', async (t) => {
  const h = await harness(t)
  for (const payload of [{ format: 'gif' }, { format: 'glb ' }, { format: '' }, {}, { format: 3 }]) {
    expectError(t, await h.app.inject({ method: 'POST', url: '/v3/files/presign', headers: bearer(), payload }), 400, 1004)
  }
  expectError(t, await h.app.inject({ method: 'POST', url: '/v3/files/presign', headers: { ...bearer(), 'content-type': 'application/json' }, payload: '[]' }), 400, 1003)
  for (const format of ['webp', 'jpeg', 'jpg', 'png', 'glb', 'gltf', 'obj', 'fbx', 'stl', 'GLB']) {
    const data = await presign(h, format)
    t.match(data, { file_token: FILE_TOKEN, expires_in: 1800 }, format)
    t.match(data.presigned_url, new RegExp(`^http://localhost:80/tripo-data/tcli_[0-9a-f]{32}/20260101/[0-9a-f-]{36}/input\\.${format.toLowerCase()}\\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA[A-Z2-7]{16}%2F20260101%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=1800&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$`))
  }
  const configured = await harness(t, { publicUrl: 'https://tripo.example:8443/' })
  t.match((await presign(configured, 'png')).presigned_url, /^https:\/\/tripo\.example:8443\/tripo-data\//, 'on publicUrl when set')
})

t.test('presign, a plain HTTP PUT of the bytes to presigned_url, then tasks that use the file_token', async (t) => {
  const { h, base, host } = await onSocket(t)
  const image = await presign(h, 'png', KEY, host)
  const stored = await put(image.presigned_url, PNG, { 'content-type': 'image/png' })
  t.equal(stored.status, 200, await stored.text())
  t.match(stored.headers.get('etag'), /^"[0-9a-f]{32}"$/)
  t.match(await finished(t, h, '/generation/image-to-model', { input: image.file_token, model: MODEL }), { status: 'success' })

  const model = await presign(h, 'glb', KEY, host)
  t.equal((await put(model.presigned_url, GLB)).status, 200)
  const imported = await finished(t, h, '/models/import', { input: { file_token: model.file_token } })
  t.match(imported, { type: 'import_model', status: 'success' })
  const served = await fetch(at(base, imported.output.model_url), { headers: bearer() })
  t.ok(Buffer.from(await served.arrayBuffer()).equals(GLB), 'the import serves the very bytes put')
})

t.test('upload-credentials: one PUT of any format, judged by its bytes when a task uses it', async (t) => {
  const { h, base, host } = await onSocket(t)
  const glb = await uploadCredentials(h, KEY, host)
  t.match(glb, { file_token: FILE_TOKEN, upload_url: /^http:\/\/127\.0\.0\.1:\d+\/tripo-data\/tcli_[0-9a-f]{32}\/20260101\/[0-9a-f-]{36}\/input\?X-Amz-Algorithm=/ })
  t.equal(glb.expires_at, new Date(START + 1800 * 1000).toISOString())
  t.equal((await put(glb.upload_url, GLB)).status, 200)
  const imported = await finished(t, h, '/models/import', { input: glb.file_token })
  t.ok(Buffer.from(await (await fetch(at(base, imported.output.model_url))).arrayBuffer()).equals(GLB))

  const png = await uploadCredentials(h, KEY, host)
  t.equal((await put(png.upload_url, PNG)).status, 200)
  t.match(await finished(t, h, '/generation/image-to-model', { input: png.file_token, model: MODEL }), { status: 'success' })

  const empty = await uploadCredentials(h, KEY, host)
  t.equal((await put(empty.upload_url, Buffer.alloc(0))).status, 200)
  expectError(t, await create(h, '/models/import', { input: empty.file_token }), 400, 2003)
  const unknown = await uploadCredentials(h, KEY, host)
  t.equal((await put(unknown.upload_url, Buffer.from('not a model'))).status, 200)
  expectError(t, await create(h, '/models/import', { input: unknown.file_token }), 400, 2004)
})

t.test('a presigned PUT over the format\'s size limit is refused (EntityTooLarge)', async (t) => {
  const { h, host } = await onSocket(t, { imageMaxBytes: 1000 })
  const image = await presign(h, 'png', KEY, host)
  const response = await put(image.presigned_url, PNG)
  expectXml(t, 400, await response.text(), response.status, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
  t.equal((await put((await presign(h, 'glb', KEY, host)).presigned_url, PNG)).status, 200, 'a model format allows more')
})

t.test('a token used before its PUT, or by another key, answers 1004', async (t) => {
  const { h, host } = await onSocket(t)
  const early = await presign(h, 'png', KEY, host)
  expectError(t, await create(h, '/generation/image-to-model', { input: early.file_token, model: MODEL }), 400, 1004)
  t.equal((await put(early.presigned_url, PNG)).status, 200)
  t.equal((await create(h, '/generation/image-to-model', { input: early.file_token, model: MODEL })).statusCode, 200, 'once put, it works')
  expectError(t, await create(h, '/generation/image-to-model', { input: early.file_token, model: MODEL }, OTHER_KEY), 400, 1004)
  const uploaded = await fileToken(h, GLB)
  expectError(t, await create(h, '/models/import', { input: uploaded }, OTHER_KEY), 400, 1004)
  expectError(t, await create(h, '/models/import', { input: { file_token: 'file_00000000-0000-4000-8000-000000000000' } }), 400, 1004)
})

t.test('a tampered presigned URL answers S3\'s SignatureDoesNotMatch; an expired one AccessDenied "Request has expired"', async (t) => {
  const { h, host } = await onSocket(t)
  const { presigned_url: url } = await presign(h, 'glb', KEY, host)
  const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(url)?.[1] as string
  const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`
  for (const tampered of [
    url.replace(signature, flipped),
    url.replace('X-Amz-Expires=1800', 'X-Amz-Expires=86400'),
    url.replace('/input.glb?', '/input.png?')
  ]) {
    const response = await put(tampered, GLB)
    expectXml(t, 403, await response.text(), response.status, 'SignatureDoesNotMatch', 'The request signature we calculated does not match')
  }
  for (const broken of [
    url.replace(/X-Amz-Date=\d{8}T\d{6}Z/, 'X-Amz-Date=yesterday'),
    url.replace(/X-Amz-Date=[^&]+&/, ''),
    url.replace(/X-Amz-Credential=[^&]+&/, 'X-Amz-Credential&'),
    url.replace(/X-Amz-Expires=[^&]+&/, ''),
    url.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1'),
    url.replace(signature, signature.toUpperCase())
  ]) {
    const response = await put(broken, GLB)
    expectXml(t, 400, await response.text(), response.status, 'AuthorizationHeaderMalformed', 'The authorization header is malformed\\.')
  }
  const unsigned = await put(url.replace(/X-Amz-SignedHeaders=[^&]+&/, ''), GLB)
  expectXml(t, 403, await unsigned.text(), unsigned.status, 'SignatureDoesNotMatch', 'The request signature')
  const anonymous = await put(url.replace(/\?.*$/, '?x-id=PutObject'), GLB)
  expectXml(t, 403, await anonymous.text(), anonymous.status, 'AccessDenied', 'Access Denied')
  const stranger = await put(url.replace(/ASIA[A-Z2-7]{16}/, 'ASIAAAAAAAAAAAAAAAAA'), GLB)
  expectXml(t, 403, await stranger.text(), stranger.status, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist')

  h.clock.advance(1800 * 1000)
  t.equal((await put(url, GLB)).status, 200, 'still valid at its last second')
  h.clock.advance(1000)
  const expired = await put(url, GLB)
  expectXml(t, 403, await expired.text(), expired.status, 'AccessDenied', 'Request has expired')
  const credentials = await uploadCredentials(h, KEY, host)
  h.clock.advance(1801 * 1000)
  const late = await put(credentials.upload_url, GLB)
  expectXml(t, 403, await late.text(), late.status, 'AccessDenied', 'Request has expired')
})

t.test('expiry follows stsCredentialTtlSeconds', async (t) => {
  const { h, host } = await onSocket(t, { stsCredentialTtlSeconds: 60 })
  const data = await presign(h, 'png', KEY, host)
  t.equal(data.expires_in, 60)
  t.match(data.presigned_url, /X-Amz-Expires=60&/)
  t.equal((await uploadCredentials(h, KEY, host)).expires_at, new Date(START + 60 * 1000).toISOString())
  h.clock.advance(61 * 1000)
  const response = await put(data.presigned_url, PNG)
  expectXml(t, 403, await response.text(), response.status, 'AccessDenied', 'Request has expired')
})

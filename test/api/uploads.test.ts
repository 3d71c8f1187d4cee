/**
 * Direct uploads (`/upload`, `/upload/sts`) and the file references of task requests: tokens,
 * URLs, legacy base64 data, and what each refusal answers.
 */
import t, { type Test } from 'tap'
import { bearer, harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'
import { GLB, imageToken, JPEG, multipart, PNG, upload, WEBP } from '../fixtures/files.ts'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

async function expectCode (t: Test, response: { statusCode: number, json: () => any, body: string }, status: number, code: number): Promise<void> {
  t.equal(response.statusCode, status, response.body)
  t.equal(response.json().code, code)
}

t.test('JPEG, PNG and WebP are accepted on both paths, whatever their name and part type', async (t) => {
  const h = await harness(t)
  for (const url of ['/v2/openapi/upload', '/v2/openapi/upload/sts']) {
    for (const [label, bytes] of [['JPEG', JPEG], ['PNG', PNG], ['WebP', WEBP]] as const) {
      const response = await upload(h, bytes, { url, filename: 'no-extension', contentType: 'application/octet-stream' })
      t.equal(response.statusCode, 200, `${label} on ${url}: ${response.body}`)
      t.match(response.headers['content-type'], /^application\/json/)
      const body = response.json()
      t.same(Object.keys(body), ['code', 'data'])
      t.equal(body.code, 0)
      t.match(body.data.image_token, UUID_V4, 'the token is a bare UUID v4')
    }
  }
  t.ok(h.logs.some((line) => line['msg'] === 'image uploaded'))
})

t.test('refusals: empty 2003, not an image by its bytes 2004, too large 2022', async (t) => {
  const h = await harness(t, { imageMaxBytes: 1024 })
  await expectCode(t, await upload(h, Buffer.alloc(0)), 400, 2003)
  await expectCode(t, await upload(h, Buffer.from('just some text, named like a picture'), { filename: 'cat.png', contentType: 'image/png' }), 400, 2004)
  await expectCode(t, await upload(h, GLB.subarray(0, 1000), { filename: 'cat.jpg' }), 400, 2004)
  const tooLarge = await upload(h, Buffer.concat([PNG, Buffer.alloc(1024)]))
  await expectCode(t, tooLarge, 400, 2022)
  t.same(tooLarge.json(), { code: 2022, message: 'The image file is over 20 MB', suggestion: 'Upload an image of 20 MB or less' })
})

t.test('the default limit is 20 MB', async (t) => {
  const h = await harness(t)
  const limit = 20 * 1024 * 1024
  await expectCode(t, await upload(h, Buffer.concat([PNG, Buffer.alloc(limit - PNG.length + 1)])), 400, 2022)
  t.equal((await upload(h, Buffer.concat([PNG, Buffer.alloc(limit - PNG.length)]))).statusCode, 200, 'exactly 20 MB passes')
})

t.test('not multipart answers 1003; multipart without a file part answers 1004', async (t) => {
  const h = await harness(t)
  const post = (payload: string | Buffer, headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/v2/openapi/upload', headers: { ...bearer(), ...headers }, payload })
  await expectCode(t, await post('{"file":"x"}', { 'content-type': 'application/json' }), 400, 1003)
  await expectCode(t, await post('garbage', { 'content-type': 'multipart/form-data; boundary=xyz' }), 400, 1003)
  const fieldOnly = multipart([{ name: 'file', data: 'not a file part' }])
  await expectCode(t, await post(fieldOnly.payload, fieldOnly.headers), 400, 1004)
  const otherName = multipart([{ name: 'image', data: PNG, filename: 'a.png' }])
  await expectCode(t, await post(otherName.payload, otherName.headers), 400, 1004)
  const both = multipart([{ name: 'extra', data: PNG, filename: 'x.png' }, { name: 'note', data: 'hi' }, { name: 'file', data: PNG, filename: 'a.png' }])
  t.equal((await post(both.payload, both.headers)).statusCode, 200, 'other parts are ignored')
  await expectCode(t, await h.app.inject({ method: 'POST', url: '/v2/openapi/upload', payload: fieldOnly.payload, headers: fieldOnly.headers }), 401, 1002)
})

t.test('uploads count against the key\'s upload rate (429/1007)', async (t) => {
  const h = await harness(t, { uploadsPerSecond: 2 })
  t.equal((await upload(h, PNG)).statusCode, 200)
  t.equal((await upload(h, PNG)).statusCode, 200)
  const limited = await upload(h, PNG)
  await expectCode(t, limited, 429, 1007)
  t.equal(limited.headers['retry-after'], '1')
  t.equal((await upload(h, PNG, { key: OTHER_KEY })).statusCode, 200, 'another key has its own rate')
  h.clock.advance(1000)
  t.equal((await upload(h, PNG)).statusCode, 200, 'a second later it passes')
})

const imageTask = (file: Record<string, unknown>) => ({ type: 'image_to_model', file })

t.test('a token resolves for its key until it expires; unknown, foreign or expired answer 404/2019', async (t) => {
  const h = await harness(t, { uploadTokenTtlSeconds: 60 })
  const token = await imageToken(h)
  t.equal((await h.createTask(imageTask({ type: 'png', file_token: token }))).statusCode, 200)
  const foreign = await h.createTask(imageTask({ type: 'png', file_token: token }), OTHER_KEY)
  await expectCode(t, foreign, 404, 2019)
  t.same(foreign.json(), { code: 2019, message: 'The file is not found', suggestion: 'Check uploading response to ensure if the file has uploaded successfully' })
  await expectCode(t, await h.createTask(imageTask({ file_token: '0b7b8a2e-3f5e-4f44-9d5c-3a1f0b1e2d3c' })), 404, 2019)
  h.clock.advance(60 * 1000)
  t.equal((await h.createTask(imageTask({ file_token: token }))).statusCode, 200, 'alive for its whole lifetime')
  h.clock.advance(1)
  await expectCode(t, await h.createTask(imageTask({ file_token: token })), 404, 2019)
})

t.test('tokens live 24 hours by default', async (t) => {
  const h = await harness(t)
  const token = await imageToken(h)
  h.clock.advance(86400 * 1000)
  t.equal((await h.createTask(imageTask({ file_token: token }))).statusCode, 200)
  h.clock.advance(1)
  await expectCode(t, await h.createTask(imageTask({ file_token: token })), 404, 2019)
})

t.test('a token works in every image slot: multiview, texture and image tasks', async (t) => {
  const h = await harness(t)
  const file = { type: 'jpg', file_token: await imageToken(h, JPEG) }
  await h.newTask({ type: 'multiview_to_model', files: [file, {}, file, {}] })
  await h.newTask({ type: 'generate_image', prompt: 'x', files: [file, file] })
  await h.newTask({ type: 'text_to_image', prompt: 'a castle', style_image: file })
  const model = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  await h.newTask({ type: 'texture_model', original_model_task_id: model, texture_prompt: { image: file } })
})

t.test('resetting a key forgets its uploads', async (t) => {
  const h = await harness(t)
  const mine = await imageToken(h)
  const theirs = await imageToken(h, PNG, OTHER_KEY)
  h.services.emulator.reset(KEY)
  await expectCode(t, await h.createTask(imageTask({ file_token: mine })), 404, 2019)
  t.equal((await h.createTask(imageTask({ file_token: theirs }), OTHER_KEY)).statusCode, 200, 'another key keeps its own')
  h.services.emulator.reset()
  await expectCode(t, await h.createTask(imageTask({ file_token: theirs }), OTHER_KEY), 404, 2019)
})

t.test('url references: http(s) accepted without fetching; anything else 2020', async (t) => {
  const h = await harness(t)
  t.equal((await h.createTask(imageTask({ type: 'png', url: 'https://example.invalid/cat.png' }))).statusCode, 200)
  t.equal((await h.createTask(imageTask({ url: 'HTTP://192.0.2.1:8080/cat.jpg?x=1' }))).statusCode, 200)
  for (const url of ['ftp://example.com/cat.png', 'cat.png', 'https://', 'javascript:alert(1)']) {
    const response = await h.createTask(imageTask({ url }))
    await expectCode(t, response, 400, 2020)
    t.equal(response.json().message, 'The image url is invalid')
  }
})

t.test('legacy base64 data is decoded and inspected', async (t) => {
  const h = await harness(t, { imageMaxBytes: 64 * 1024 })
  t.equal((await h.createTask(imageTask({ type: 'png', data: PNG.toString('base64') }))).statusCode, 200)
  t.equal((await h.createTask(imageTask({ data: WEBP.toString('base64').replace(/(.{76})/g, '$1\n') }))).statusCode, 200, 'line breaks are allowed')
  await expectCode(t, await h.createTask(imageTask({ data: Buffer.from('text').toString('base64') })), 400, 2004)
  await expectCode(t, await h.createTask(imageTask({ data: GLB.toString('base64') })), 400, 2004)
  await expectCode(t, await h.createTask(imageTask({ data: '====' })), 400, 1004)
  await expectCode(t, await h.createTask(imageTask({ data: 'not base64!' })), 400, 1004)
  await expectCode(t, await h.createTask(imageTask({ data: Buffer.alloc(70 * 1024).toString('base64') })), 400, 2022)
})

t.test('a reference with no form, or with two, answers 1004', async (t) => {
  const h = await harness(t)
  const token = await imageToken(h)
  await expectCode(t, await h.createTask(imageTask({ type: 'png' })), 400, 1004)
  await expectCode(t, await h.createTask(imageTask({ file_token: token, url: 'https://example.com/a.png' })), 400, 1004)
})

t.test('the upload routes are documented', async (t) => {
  const h = await harness(t)
  const document = (await h.app.inject({ url: '/docs/v2/json' })).json()
  for (const path of ['/v2/openapi/upload', '/v2/openapi/upload/sts', '/v2/openapi/upload/sts/token']) {
    const operation = document.paths[path]?.post
    t.ok(operation, `${path} is documented`)
    t.same(operation?.tags, ['uploads'])
    t.ok(operation?.responses['400'] !== undefined && operation?.responses['429'] !== undefined)
  }
  t.match(document.paths['/v2/openapi/upload'].post.responses['400'].description, /2022: The image file is over 20 MB/)
})

/**
 * The signed output URLs: every output kind downloads its fixture with the right headers (also
 * with an Authorization header, as the official clients send), ranges, HEAD, expiry and tampering
 * refused as a signed storage URL refuses them, fresh URLs on every read, no path traversal.
 */
import { request } from 'node:http'
import t, { type Test } from 'tap'
import { ASSETS } from '../../src/domain/assets.ts'
import { parseRange } from '../../src/api/files.ts'
import { bearer, harness, type Harness, KEY } from '../fixtures/harness.ts'
import { fixture } from '../fixtures/files.ts'

const IMAGE = { type: 'png', url: 'https://example.com/cat.png' }

/** The path and query of an absolute URL (inject talks to the app directly). */
const local = (url: string) => url.replace(/^https?:\/\/[^/]+/, '')

async function outputOf (h: Harness, body: Record<string, unknown>): Promise<Record<string, any>> {
  const id = await h.finishedTask(body)
  const task = (await h.getTask(id)).json().data
  if (task.status !== 'success') throw new Error(`task ${id} is ${task.status}`)
  return task
}

function expectAccessDenied (t: Test, response: { statusCode: number, headers: Record<string, unknown>, body: string }, message: string): void {
  t.equal(response.statusCode, 403)
  t.equal(response.headers['content-type'], 'application/xml')
  t.match(response.body, `<Error><Code>AccessDenied</Code><Message>${message}</Message><RequestId>`)
  t.ok(response.headers['x-tripo-trace-id'], 'still traced')
}

t.test('every output kind downloads its fixture, with headers, also with an Authorization header', async (t) => {
  const h = await harness(t)
  const model = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  const rig = await h.finishedTask({ type: 'animate_rig', original_model_task_id: model, out_format: 'fbx' })
  const segmented = await h.finishedTask({ type: 'mesh_segmentation', original_model_task_id: model })
  const bodies: Array<Record<string, unknown>> = [
    { type: 'text_to_model', prompt: 'a chair' },
    { type: 'text_to_model', prompt: 'a chair', texture: false, pbr: false },
    { type: 'image_to_model', file: IMAGE, quad: true },
    { type: 'texture_model', original_model_task_id: model, texture_prompt: { text: 'wood' } },
    { type: 'texture_model', original_model_task_id: model, pbr: false },
    { type: 'animate_rig', original_model_task_id: model },
    { type: 'animate_rig', original_model_task_id: model, out_format: 'fbx' },
    { type: 'animate_retarget', original_model_task_id: rig, animation: 'preset:walk' },
    { type: 'animate_retarget', original_model_task_id: rig, animation: 'preset:walk', out_format: 'fbx' },
    { type: 'mesh_completion', original_model_task_id: segmented },
    { type: 'highpoly_to_lowpoly', original_model_task_id: model },
    { type: 'highpoly_to_lowpoly', original_model_task_id: model, quad: true },
    { type: 'stylize_model', original_model_task_id: model, style: 'voxel' },
    { type: 'stylize_model', original_model_task_id: model, style: 'minecraft' },
    ...['GLTF', 'USDZ', 'FBX', 'OBJ', 'STL', '3MF'].map((format) => ({ type: 'convert_model', original_model_task_id: model, format })),
    { type: 'generate_image', prompt: 'a castle' },
    { type: 'generate_multiview_image', file: IMAGE }
  ]
  // The V3-only types: a Gaussian splat, a segmentation mask.
  const v3Outputs = async (path: string, body: Record<string, unknown>) => {
    const created = await h.app.inject({ method: 'POST', url: `/v3${path}`, headers: bearer(), payload: body })
    const id = (created.json() as { data: { task_id: string } }).data.task_id
    h.clock.advance(10 * 60 * 1000)
    return (await h.app.inject({ url: `/v3/tasks/${id}`, headers: bearer() })).json().data
  }
  const seen = new Set<string>()
  /** Downloads every URL of a task's output at once (before its URLs expire). */
  const downloadAll = async ({ output, type }: Record<string, any>) => {
    const urls = Object.values(output).flatMap((value) => typeof value === 'string' ? [value] : typeof value === 'object' ? Object.values(value as object) : [])
    for (const url of urls as string[]) {
      const name = new URL(url).pathname.split('/').at(-1) as keyof typeof ASSETS
      const response = await h.app.inject({ url: local(url), headers: bearer() })
      t.equal(response.statusCode, 200, `${String(type)}: ${name}`)
      const bytes = fixture(name)
      t.ok(response.rawPayload.equals(bytes), `${name}: the fixture's bytes`)
      t.equal(response.headers['content-type'], ASSETS[name].contentType)
      t.equal(response.headers['content-length'], String(bytes.length))
      t.equal(response.headers['accept-ranges'], 'bytes')
      t.match(response.headers['etag'], /^"[0-9a-f]{32}"$/)
      t.equal(response.headers['cache-control'], 'private, max-age=300', 'cacheable as long as the URL lives')
      seen.add(name)
    }
  }
  for (const body of bodies) await downloadAll(await outputOf(h, body))
  await downloadAll(await v3Outputs('/generation/image-to-splat', { input: IMAGE.url }))
  await downloadAll(await v3Outputs('/mesh/smartsegment', { seg_type: 'image', input: IMAGE.url }))
  t.same([...seen].sort(), Object.keys(ASSETS).sort(), 'every asset is some task\'s output')
})

t.test('URLs look like signed CloudFront URLs, with the extension clients read', async (t) => {
  const h = await harness(t, { publicUrl: 'https://files.example:8443/' })
  const { output, result } = await outputOf(h, { type: 'text_to_model', prompt: 'a chair' })
  t.match(output.pbr_model, /^https:\/\/files\.example:8443\/files\/[0-9a-f-]{36}\/textured\.glb\?Expires=\d+&Signature=[\w-]+&Key-Pair-Id=KTRIPOMOCKEMULATOR$/)
  t.match(output.rendered_image, /\/preview\.webp\?/)
  t.equal(result.pbr_model.url, output.pbr_model)
  const response = await h.app.inject({ url: local(output.pbr_model) })
  t.equal(response.statusCode, 200, 'the path signed is the path served, whatever the public host')
})

t.test('ranges: 206 with Content-Range, suffix and open ranges, 416 when unsatisfiable', async (t) => {
  const h = await harness(t)
  const { output } = await outputOf(h, { type: 'text_to_model', prompt: 'a chair' })
  const url = local(output.pbr_model)
  const bytes = fixture('textured.glb')
  const size = bytes.length
  const get = (range: string) => h.app.inject({ url, headers: { range, ...bearer() } })

  const first = await get('bytes=0-11')
  t.equal(first.statusCode, 206)
  t.equal(first.headers['content-range'], `bytes 0-11/${size}`)
  t.equal(first.headers['content-length'], '12')
  t.ok(first.rawPayload.equals(bytes.subarray(0, 12)))
  t.equal(first.rawPayload.toString('latin1', 0, 4), 'glTF', 'a GLB header')

  const open = await get('bytes=100-')
  t.equal(open.headers['content-range'], `bytes 100-${size - 1}/${size}`)
  t.ok(open.rawPayload.equals(bytes.subarray(100)))
  const suffix = await get('bytes=-10')
  t.equal(suffix.headers['content-range'], `bytes ${size - 10}-${size - 1}/${size}`)
  t.ok(suffix.rawPayload.equals(bytes.subarray(size - 10)))
  t.equal((await get(`bytes=10-${size + 100}`)).headers['content-range'], `bytes 10-${size - 1}/${size}`, 'the end is clipped')
  t.equal((await get(`bytes=-${size + 5}`)).headers['content-range'], `bytes 0-${size - 1}/${size}`)

  const beyond = await get(`bytes=${size}-`)
  t.equal(beyond.statusCode, 416)
  t.equal(beyond.headers['content-range'], `bytes */${size}`)
  t.match(beyond.body, '<Code>InvalidRange</Code>')
  t.equal((await get('bytes=-0')).statusCode, 416)

  for (const ignored of ['bytes=0-1,5-9', 'items=0-1', 'bytes=9-2', 'bytes=-', 'garbage']) {
    const response = await get(ignored)
    t.equal(response.statusCode, 200, `${ignored}: the whole file`)
    t.equal(response.rawPayload.length, size)
  }
})

t.test('parseRange reads one byte range of a file of any size', async (t) => {
  t.same(parseRange('bytes=0-0', 1), { start: 0, end: 0 })
  t.equal(parseRange('bytes=-5', 0), 'unsatisfiable')
  t.equal(parseRange(undefined, 10), undefined)
})

t.test('HEAD answers the headers without the body', async (t) => {
  const h = await harness(t)
  const { output } = await outputOf(h, { type: 'text_to_model', prompt: 'a chair' })
  const response = await h.app.inject({ method: 'HEAD', url: local(output.rendered_image) })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'image/webp')
  t.equal(response.headers['content-length'], String(fixture('preview.webp').length))
  t.equal(response.body, '')
  const refused = await h.app.inject({ method: 'HEAD', url: local(output.rendered_image).replace('Signature=', 'Signature=x') })
  t.equal(refused.statusCode, 403)
  t.equal(refused.headers['content-type'], 'application/xml')
})

t.test('URLs expire after urlExpirySeconds; reading the task again gives fresh ones', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  const first = (await h.getTask(id)).json().data.output.pbr_model as string
  t.equal(new URL(first).searchParams.get('Expires'), String(Math.floor(h.clock.now() / 1000) + 300), 'five minutes by default')
  h.clock.advance(300 * 1000)
  t.equal((await h.app.inject({ url: local(first) })).statusCode, 200, 'valid through its last second')
  h.clock.advance(1000)
  const expired = await h.app.inject({ url: local(first), headers: bearer() })
  expectAccessDenied(t, expired, 'Request has expired')
  const fresh = (await h.getTask(id)).json().data.output.pbr_model as string
  t.not(fresh, first)
  t.equal((await h.app.inject({ url: local(fresh) })).statusCode, 200, 'the fresh URL works')
  t.ok(h.logs.some((line) => line['storageCode'] === 'AccessDenied'), 'the refusal is logged')

  const short = await harness(t, { urlExpirySeconds: 10 })
  const other = await short.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  const url = (await short.getTask(other)).json().data.output.base_model as string
  short.clock.advance(11 * 1000)
  expectAccessDenied(t, await short.app.inject({ url: local(url) }), 'Request has expired')
})

t.test('a tampered, unsigned or re-targeted URL is refused', async (t) => {
  const h = await harness(t)
  const { output, task_id: id } = await outputOf(h, { type: 'text_to_model', prompt: 'a chair' })
  const url = local(output.pbr_model)
  const expires = new URL(output.pbr_model).searchParams.get('Expires') as string
  const tampered = [
    url.replace(/Signature=[^&]+/, 'Signature=AAAA'),
    url.replace(/Expires=\d+/, `Expires=${Number(expires) + 3600}`),
    url.replace(/Expires=\d+/, 'Expires=soon'),
    url.replace('textured.glb', 'base.glb'),
    url.replace(id, '00000000-0000-4000-8000-000000000000'),
    url.split('?')[0] as string,
    `${url.split('?')[0] as string}?Expires=${expires}`
  ]
  for (const each of tampered) expectAccessDenied(t, await h.app.inject({ url: each, headers: bearer() }), 'Access Denied')
})

t.test('a path that tries to leave the fixtures never reads outside them', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  const attempts = [
    `/files/${id}/..%2f..%2fpackage.json`,
    `/files/${id}/..%2F..%2Fpackage.json`,
    '/files/x/..%2f..%2fpackage.json',
    `/files/${id}/%2e%2e%2fsrc%2fserver.ts`,
    `/files/${id}/../../package.json`,
    '/files/../package.json',
    `/files/${id}/..\\..\\package.json`
  ]
  for (const path of attempts) {
    const response = await h.app.inject({ url: path })
    t.ok(response.statusCode === 403 || response.statusCode === 404, `${path}: ${response.statusCode}`)
    t.notMatch(response.body, /"name": ?"tripo-mock"|devDependencies|closeWithGrace/, 'nothing of the file system')
  }
  // Even a validly signed traversal path is looked up by exact name only.
  for (const name of ['../../package.json', '..%2f..%2fpackage.json', 'package.json']) {
    const path = `/files/${id}/${name}`
    const signed = `/files/${id}/${encodeURIComponent(name)}?${h.services.signer.sign(path)}`
    const response = await h.app.inject({ url: signed })
    t.equal(response.statusCode, 404, `signed ${name}`)
    t.equal(response.json().code, 2019)
  }
})

t.test('over a real socket too, raw traversal paths are refused', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as { port: number }
  const get = (path: string) => new Promise<{ status: number, body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: bearer() }, (response) => {
      let body = ''
      response.setEncoding('latin1')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => { resolve({ status: response.statusCode as number, body }) })
    }).on('error', reject).end()
  })
  for (const path of [`/files/${id}/../../package.json`, `/files/${id}/..%2f..%2fpackage.json`, `/files/${id}/%2e%2e/%2e%2e/package.json`]) {
    const response = await get(path)
    t.ok(response.status === 403 || response.status === 404, `${path}: ${response.status}`)
    t.notMatch(response.body, /devDependencies/)
  }
  const url = (await h.getTask(id)).json().data.output.base_model as string
  const served = await get(local(url))
  t.equal(served.status, 200, 'a real URL over the socket, with the Authorization header')
  t.equal(served.body.slice(0, 4), 'glTF')
})

t.test('a signed name the task does not output, or a forgotten task, answers 404/2019', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  const signed = (name: string, task = id) => `/files/${task}/${name}?${h.services.signer.sign(`/files/${task}/${name}`)}`
  for (const name of ['model.stl', 'imported.glb', 'view-front.png']) {
    const response = await h.app.inject({ url: signed(name) })
    t.equal(response.statusCode, 404, name)
    t.same(response.json(), { code: 2019, message: 'The file is not found', suggestion: 'Check uploading response to ensure if the file has uploaded successfully' })
  }
  const check = await h.finishedTask({ type: 'animate_prerigcheck', original_model_task_id: id })
  t.equal((await h.app.inject({ url: signed('textured.glb', check) })).statusCode, 404, 'a task whose output is only values')
  const url = signed('textured.glb')
  t.equal((await h.app.inject({ url })).statusCode, 200)
  h.services.emulator.reset(KEY)
  t.equal((await h.app.inject({ url })).statusCode, 404, 'reset forgets the task and its files')
})

t.test('the download route is documented with its statuses', async (t) => {
  const h = await harness(t)
  const document = (await h.app.inject({ url: '/docs/json' })).json()
  const get = document.paths['/files/{taskId}/{name}']?.get
  t.ok(get)
  t.same(get?.tags, ['files'])
  t.same(Object.keys(get?.responses ?? {}).sort(), ['200', '206', '403', '404', '416'])
  t.ok(get?.responses['403'].content['application/xml'], '403 is XML')
  t.match(get?.responses['404'].description, /2019/)
})

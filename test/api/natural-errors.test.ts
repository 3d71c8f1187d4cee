/**
 * The errors that arise from the real API's own rules, not from a scenario.
 */
import t, { type Test } from 'tap'
import { bearer, harness, type Harness, OTHER_KEY } from '../fixtures/harness.ts'

const IMAGE = { type: 'png', url: 'https://example.com/cat.png' }

async function expectError (t: Test, h: Harness, body: unknown, status: number, code: number, message?: string): Promise<void> {
  const response = await h.createTask(body)
  t.equal(response.statusCode, status, `HTTP ${status} for ${JSON.stringify(body).slice(0, 80)}`)
  t.equal(response.json().code, code, response.body)
  if (message !== undefined) t.equal(response.json().message, message)
}

t.test('1003: the body is not a JSON object', async (t) => {
  const h = await harness(t)
  const post = (payload: string, contentType = 'application/json') => h.app.inject({
    method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), 'content-type': contentType }, payload
  })
  for (const payload of ['{"type":', '[1,2]', '42', 'null', '"text"']) {
    const response = await post(payload)
    t.equal(response.statusCode, 400, payload)
    t.same(response.json(), { code: 1003, message: 'The request body is malformed', suggestion: 'Refer to the API documentation for request schema' })
  }
  t.equal((await post('')).json().code, 1003, 'empty JSON body')
  t.equal((await post('type=text_to_model', 'text/plain')).json().code, 1003, 'not JSON at all')
  const noBody = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: bearer() })
  t.equal(noBody.json().code, 1003, 'no body')
})

t.test('1003: a body over the limit', async (t) => {
  const h = await harness(t, { bodyLimit: 2048 })
  await expectError(t, h, { type: 'text_to_model', prompt: 'x', padding: 'y'.repeat(4096) }, 400, 1003)
})

t.test('1004, 2002, 2016: the type', async (t) => {
  const h = await harness(t)
  await expectError(t, h, { prompt: 'a cat' }, 400, 1004)
  await expectError(t, h, { type: 7, prompt: 'a cat' }, 400, 1004)
  await expectError(t, h, { type: 'text_to_video', prompt: 'a cat' }, 400, 2002, 'This task type is not supported')
  await expectError(t, h, { type: 'conversion', format: 'GLB' }, 400, 2002)
  await expectError(t, h, { type: 'animate_model', original_model_task_id: 'x' }, 400, 2016, 'The request type has been deprecated')
})

t.test('1004: wrong types are not coerced', async (t) => {
  const h = await harness(t)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a cat', texture: 'true' }, 400, 1004)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a cat', face_limit: 1.5 }, 400, 1004)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a cat', negative_prompt: 'x'.repeat(256) }, 400, 1004)
})

t.test('unknown fields are ignored, logged and left out of the echo', async (t) => {
  const h = await harness(t)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat', orientation: 'align_image', made_up: 1 })
  const input = (await h.getTask(id)).json().data.input
  t.notOk('made_up' in input)
  t.notOk('orientation' in input, 'orientation is not a text_to_model parameter')
  t.ok(h.logs.some((line) => Array.isArray(line['ignored']) && (line['ignored'] as string[]).includes('made_up')))
})

t.test('2015 / 2017: model versions', async (t) => {
  const h = await harness(t, { retiredVersions: ['v1.4-20240625'] })
  await expectError(t, h, { type: 'text_to_model', prompt: 'a', model_version: 'v1.3-20240522' }, 400, 2015, 'The version has been deprecated, please try higher version')
  await expectError(t, h, { type: 'text_to_model', prompt: 'a', model_version: 'v1.4-20240625' }, 400, 2015)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a', model_version: 'v9.9-20990101' }, 400, 2017, 'The version value is valid')
  await expectError(t, h, { type: 'multiview_to_model', files: [IMAGE, IMAGE, {}, {}], model_version: 'Turbo-v1.0-20250506' }, 400, 2017)
  await expectError(t, h, { type: 'multiview_to_model', files: [IMAGE, IMAGE, {}, {}], model_version: 'v1.4-20240625' }, 400, 2015)
  await expectError(t, h, { type: 'texture_model', original_model_task_id: 'x', model_version: 'v2.0-20240919' }, 400, 2015)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a', model_version: 5 }, 400, 1004)
  await h.newTask({ type: 'text_to_image', prompt: 'a castle', model_version: 'v2.5-20250123' })
  await h.newTask({ type: 'text_to_model', prompt: 'fast', model_version: 'Turbo-v1.0-20250506' })
})

t.test('P1 refuses the H2/H3 switches when present, and face_limit outside 48-20000', async (t) => {
  const h = await harness(t)
  const p1 = { type: 'text_to_model', prompt: 'a cat', model_version: 'P1-20260311' }
  for (const field of ['quad', 'smart_low_poly', 'generate_parts']) await expectError(t, h, { ...p1, [field]: false }, 400, 1004)
  await expectError(t, h, { ...p1, geometry_quality: 'standard' }, 400, 1004)
  await expectError(t, h, { ...p1, face_limit: 47 }, 400, 1004)
  await expectError(t, h, { ...p1, face_limit: 20001 }, 400, 1004)
  const id = await h.newTask({ ...p1, face_limit: 48 })
  const task = (await h.getTask(id)).json().data
  t.equal(task.consumed_credit, 40, 'P1 textured: 40')
  t.notOk('quad' in task.input, 'no H2/H3 defaults on P1')
})

t.test('2009: characters the real API refuses in a prompt', async (t) => {
  const h = await harness(t)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a cat 🐱' }, 400, 2009, 'The input prompt contains invalid characters')
  await expectError(t, h, { type: 'text_to_model', prompt: 'a cat', negative_prompt: 'no \u0007 bells' }, 400, 2009)
  await expectError(t, h, { type: 'edit_multiview_image', original_task_id: 'x', prompts: [{ view: 'front', prompt: '❤️' }] }, 400, 2009)
  await h.newTask({ type: 'text_to_model', prompt: 'un chat noir, 黑猫, © 2026\nsecond line' })
})

t.test('2008: the content policy word list (default and configured)', async (t) => {
  const h = await harness(t)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a NSFW statue' }, 400, 2008, 'The input is rejected due to violation of content policy')
  await expectError(t, h, { type: 'texture_model', original_model_task_id: 'x', texture_prompt: { text: 'gore' } }, 400, 2008)
  await h.newTask({ type: 'text_to_model', prompt: 'a nsfwish gorilla' })

  const custom = await harness(t, { contentPolicyWords: ['forbidden fruit'] })
  await expectError(t, custom, { type: 'text_to_image', prompt: 'the Forbidden Fruit tree' }, 400, 2008)
  await custom.newTask({ type: 'text_to_image', prompt: 'nsfw is allowed by this list' })
})

t.test('2013: a priority the key is not entitled to', async (t) => {
  const h = await harness(t)
  await expectError(t, h, { type: 'text_to_model', prompt: 'a', priority: 2 }, 403, 2013, 'The priority is invalid')
  await expectError(t, h, { type: 'text_to_model', prompt: 'a', priority: 0 }, 403, 2013)
  await h.newTask({ type: 'text_to_model', prompt: 'a', priority: 1 })
  const entitled = await harness(t, { maxPriority: 3 })
  await entitled.newTask({ type: 'text_to_model', prompt: 'a', priority: 3 })
})

t.test('source tasks: 2001, 2005, 2006, 2007, 2011, 2012', async (t) => {
  const h = await harness(t)
  const model = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  const image = await h.finishedTask({ type: 'text_to_image', prompt: 'a chair' })
  const legacy = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair', model_version: 'v1.4-20240625' })
  const rig = await h.finishedTask({ type: 'animate_rig', original_model_task_id: model })
  const foreign = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' }, OTHER_KEY)
  const unfinished = await h.newTask({ type: 'text_to_model', prompt: 'a chair' })

  await expectError(t, h, { type: 'texture_model', original_model_task_id: 'no-such-task' }, 404, 2001, 'The task is not found')
  await expectError(t, h, { type: 'texture_model', original_model_task_id: foreign }, 404, 2001)
  await expectError(t, h, { type: 'texture_model', original_model_task_id: unfinished }, 400, 2007, 'The original task is not a succeeded task')
  await expectError(t, h, { type: 'texture_model', original_model_task_id: image }, 400, 2006, 'The original task type is not supported')
  await expectError(t, h, { type: 'texture_model', original_model_task_id: legacy }, 400, 2006)
  await expectError(t, h, { type: 'mesh_completion', original_model_task_id: model }, 400, 2006)
  await expectError(t, h, { type: 'convert_model', original_model_task_id: rig, format: 'STL' }, 400, 2006)
  await expectError(t, h, { type: 'animate_prerigcheck', original_model_task_id: image }, 400, 2011, 'The input task type cannot be prerigcheck without model')
  await expectError(t, h, { type: 'animate_rig', original_model_task_id: image }, 400, 2006)
  await expectError(t, h, { type: 'animate_retarget', original_model_task_id: model, animation: 'preset:walk' }, 400, 2012, 'The input task type is not valid')
  await expectError(t, h, { type: 'refine_model', draft_model_task_id: model }, 400, 2006)
  const draft = await h.newTask({ type: 'text_to_model', prompt: 'a draft', model_version: 'v1.4-20240625' })
  await expectError(t, h, { type: 'refine_model', draft_model_task_id: draft }, 400, 2005, 'The draft task is not a success task')
  await expectError(t, h, { type: 'multiview_to_model', original_task_id: image }, 400, 2006)
  await expectError(t, h, { type: 'edit_multiview_image', original_task_id: model, prompts: [{ view: 'left', prompt: 'x' }] }, 400, 2006)
  await h.newTask({ type: 'convert_model', original_model_task_id: rig, format: 'fbx' })
  await h.newTask({ type: 'animate_retarget', original_model_task_id: rig, animation: 'preset:run' })
  const converted = await h.finishedTask({ type: 'convert_model', original_model_task_id: model, format: 'GLTF' })
  await h.newTask({ type: 'convert_model', original_model_task_id: converted, format: 'USDZ' })
})

t.test('cross-field rules answer 1004', async (t) => {
  const h = await harness(t)
  const multiview = await h.finishedTask({ type: 'generate_multiview_image', file: IMAGE })
  const model = await h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
  await expectError(t, h, { type: 'multiview_to_model' }, 400, 1004)
  await expectError(t, h, { type: 'multiview_to_model', files: [IMAGE, IMAGE, {}, {}], original_task_id: multiview }, 400, 1004)
  await expectError(t, h, { type: 'multiview_to_model', files: [{}, IMAGE, IMAGE, {}] }, 400, 1004)
  await expectError(t, h, { type: 'multiview_to_model', files: [IMAGE, {}, {}, {}] }, 400, 1004)
  await expectError(t, h, { type: 'animate_retarget', original_model_task_id: 'x' }, 400, 1004)
  await expectError(t, h, { type: 'animate_retarget', original_model_task_id: 'x', animations: ['preset:walk', 'preset:run', 'preset:jump', 'preset:turn', 'preset:fall', 'preset:hurt'] }, 400, 1004)
  await expectError(t, h, { type: 'edit_multiview_image', original_task_id: multiview, prompts: [{ view: 'front', prompt: 'a' }, { view: 'front', prompt: 'b' }] }, 400, 1004)
  await expectError(t, h, { type: 'texture_model', original_model_task_id: model, texture_prompt: { text: 'wood', image: IMAGE } }, 400, 1004)
  await expectError(t, h, { type: 'texture_model', original_model_task_id: model, texture_prompt: { image: IMAGE, style_image: IMAGE } }, 400, 1004)
  await expectError(t, h, { type: 'texture_model', original_model_task_id: model, texture_prompt: { images: [IMAGE, {}, {}, {}] } }, 400, 1004)
  await expectError(t, h, { type: 'generate_image', template: 't_pose' }, 400, 1004)
  await expectError(t, h, { type: 'generate_image', prompt: 'x', model_version: 'midjourney', file: IMAGE }, 400, 1004)
  await expectError(t, h, { type: 'generate_image', prompt: 'x', files: Array(5).fill(IMAGE) }, 400, 1004)

  const upgraded = await h.newTask({ type: 'generate_image', prompt: 'x', model_version: 'flux.1_dev', file: IMAGE })
  t.equal((await h.getTask(upgraded)).json().data.input.model_version, 'flux.1_kontext_pro', 'flux.1_dev with an image is upgraded')
  await h.newTask({ type: 'generate_image', template: '3d-enhance', file: IMAGE })
  await h.newTask({ type: 'multiview_to_model', original_task_id: multiview })
  await h.newTask({ type: 'texture_model', original_model_task_id: model, texture_prompt: { images: [IMAGE, {}, IMAGE, {}] } })
  await h.newTask({ type: 'texture_model', original_model_task_id: model, texture_prompt: { text: 'wood', style_image: IMAGE } })
})

t.test('1004 names the missing field, nested ones too', async (t) => {
  const h = await harness(t)
  await expectError(t, h, { type: 'image_to_model', file: { object: { bucket: 'tripo-data' } } }, 400, 1004)
  t.ok(h.logs.some((line) => line['detail'] === 'file.object.key is required'))
  await expectError(t, h, { type: 'text_to_model' }, 400, 1004)
  t.ok(h.logs.some((line) => line['detail'] === 'prompt is required'))
})

t.test('2019: a file token or object nobody uploaded', async (t) => {
  const h = await harness(t)
  await expectError(t, h, { type: 'image_to_model', file: { type: 'png', file_token: '0b7b8a2e-3f5e-4f44-9d5c-3a1f0b1e2d3c' } }, 404, 2019, 'The file is not found')
  await expectError(t, h, { type: 'image_to_model', file: { type: 'png', object: { bucket: 'tripo-data', key: 'nothing' } } }, 404, 2019)
})

/**
 * Every V3 creation endpoint (reference §3.1-3.5): a valid request, answered with its task id,
 * type and status, read back with its defaults echoed in V3's names and its price; and an invalid
 * one, answered 1004 in V3's envelope. Capabilities that work on a task get a finished source.
 */
import t from 'tap'
import { CAPABILITIES } from '../../../src/domain/capabilities/index.ts'
import { GLB, PNG } from '../../fixtures/files.ts'
import { harness, type Harness } from '../../fixtures/harness.ts'
import { v3Calls } from '../../fixtures/v3-calls.ts'

const IMAGE = 'https://example.com/cat.png'
const MODEL = 'v3.1-20260211'

interface Case {
  readonly type: string
  valid (h: Harness): Promise<Record<string, unknown>>
  /** A subset the `input` echo must hold. */
  readonly echo: Record<string, unknown>
  readonly invalid: Record<string, unknown>
  readonly cost: number
}

const model = (h: Harness) => v3Calls(h).finished('/generation/text-to-model', { prompt: 'a chair', model: MODEL })
const rigged = async (h: Harness) => v3Calls(h).finished('/animations/rig', { input: await model(h) })
const segmented = async (h: Harness) => v3Calls(h).finished('/mesh/segment', { input: await model(h) })
const multiview = (h: Harness) => v3Calls(h).finished('/generation/image-to-multiview', { input: IMAGE })
/** Refine takes 1.x drafts only, which V3 no longer makes: V2 made them (the one engine serves both). */
const draft = (h: Harness) => h.finishedTask({ type: 'text_to_model', prompt: 'a draft', model_version: 'v1.4-20240625' })

const CASES: Record<string, Case> = {
  '/generation/text-to-model': {
    type: 'text_to_model',
    valid: async () => ({ prompt: 'a small cat', model: MODEL }),
    echo: { prompt: 'a small cat', model: MODEL, texture: true, pbr: true, texture_quality: 'standard', auto_size: false, export_uv: true, quad: false, smart_low_poly: false, generate_parts: false, geometry_quality: 'standard' },
    invalid: { prompt: 'x'.repeat(1025), model: MODEL },
    cost: 20
  },
  '/generation/image-to-model': {
    type: 'image_to_model',
    valid: async () => ({ input: IMAGE, model: 'P1-20260311' }),
    echo: { input: IMAGE, model: 'P1-20260311', texture_alignment: 'original_image', orientation: 'default', enable_image_autofix: false },
    invalid: { input: IMAGE, model: MODEL, texture_quality: 'ultra' },
    cost: 50
  },
  '/generation/multiview-to-model': {
    type: 'multiview_to_model',
    valid: async () => ({ inputs: [IMAGE, '', IMAGE, ''], model: MODEL }),
    echo: { inputs: [IMAGE, '', IMAGE, ''], model: MODEL, texture: true },
    invalid: { inputs: [IMAGE, IMAGE], model: MODEL },
    cost: 30
  },
  '/generation/image-to-splat': {
    type: 'image_to_splat',
    valid: async () => ({ input: IMAGE, model_seed: 7 }),
    echo: { input: IMAGE, model_seed: 7 },
    invalid: { model_seed: 7 },
    cost: 20
  },
  '/generation/text-to-image': {
    type: 'text_to_image',
    valid: async () => ({ prompt: 'a castle' }),
    echo: { prompt: 'a castle', model: 'seedream_v4', output_format: 'png' },
    invalid: { prompt: 'x'.repeat(1801) },
    cost: 5
  },
  '/generation/image-to-image': {
    type: 'generate_image',
    valid: async () => ({ inputs: [IMAGE, IMAGE], prompt: 'image[1] wearing image[2]', model: 'banana_pro', aspect_ratio: '16:9' }),
    echo: { model: 'banana_pro', aspect_ratio: '16:9', output_format: 'png' },
    invalid: { input: IMAGE, prompt: 'x', size: 'huge' },
    cost: 10
  },
  '/generation/image-to-multiview': {
    type: 'generate_multiview_image',
    valid: async () => ({ input: IMAGE }),
    echo: { input: IMAGE },
    invalid: { input: 42 },
    cost: 10
  },
  '/generation/edit-multiview': {
    type: 'edit_multiview_image',
    valid: async (h) => ({ input: await multiview(h), prompts: [{ view: 'front', prompt: 'add a hat' }] }),
    echo: { prompts: [{ view: 'front', prompt: 'add a hat' }] },
    invalid: { input: '0196f4ce-82a8-7ddb-970f-6a940e17c830', prompts: [] },
    cost: 5
  },
  '/models/import': {
    type: 'import_model',
    valid: async (h) => ({ input: await v3Calls(h).upload(GLB) }),
    echo: {},
    invalid: { input: ['model.glb'] },
    cost: 0
  },
  '/models/refine': {
    type: 'refine_model',
    valid: async (h) => ({ draft_model_task_id: await draft(h) }),
    echo: {},
    invalid: { input: 42 },
    cost: 20
  },
  '/models/texture': {
    type: 'texture_model',
    valid: async (h) => ({ input: await model(h), text_prompt: 'wooden' }),
    echo: { model: 'v3.0-20250812', texture: true, pbr: true, texture_quality: 'standard', texture_alignment: 'original_image', bake: true, text_prompt: 'wooden' },
    invalid: { input: 'x', texture_quality: 'ultra' },
    cost: 10
  },
  '/models/stylize': {
    type: 'stylize_model',
    valid: async (h) => ({ input: await model(h), style: 'minecraft' }),
    echo: { style: 'minecraft', block_size: 80 },
    invalid: { input: 'x', style: 'lego', block_size: 500 },
    cost: 20
  },
  '/models/convert': {
    type: 'convert_model',
    valid: async (h) => ({ input: await model(h), format: 'glb' }),
    echo: { format: 'glb', quad: false, with_animation: true, bake: true, export_orientation: '+x', fbx_preset: 'blender' },
    invalid: { input: 'x', format: 'blend' },
    cost: 5
  },
  '/animations/rig-check': {
    type: 'animate_prerigcheck',
    valid: async (h) => ({ input: await model(h) }),
    echo: {},
    invalid: { input: 'x', priority: 'high' },
    cost: 0
  },
  '/animations/rig': {
    type: 'animate_rig',
    valid: async (h) => ({ input: await model(h), rig_type: 'hexapod', model: 'v2.5-20260210' }),
    echo: { out_format: 'glb', model: 'v2.5-20260210', rig_type: 'hexapod', spec: 'tripo' },
    invalid: { input: 'x', out_format: 'obj' },
    cost: 25
  },
  '/animations/retarget': {
    type: 'animate_retarget',
    valid: async (h) => ({ input: await rigged(h), animations: ['preset:walk', 'preset:biped:dance_01'] }),
    echo: { out_format: 'glb', bake_animation: true, export_with_geometry: true, animate_in_place: false },
    invalid: { input: 'x', animation: 'preset:moonwalk' },
    cost: 20
  },
  '/mesh/segment': {
    type: 'mesh_segmentation',
    valid: async (h) => ({ input: await model(h), model: 'v2.0-20260430', segmentation_granularity: 'detailed', ref_image: IMAGE }),
    echo: { model: 'v2.0-20260430', segmentation_granularity: 'detailed' },
    invalid: { input: 'x', segmentation_granularity: 'fine' },
    cost: 40
  },
  '/mesh/smartsegment': {
    type: 'mesh_smart_segmentation',
    valid: async () => ({ seg_type: 'image', input: IMAGE, hint: 'the handle' }),
    echo: { seg_type: 'image', granularity: 'medium', hint: 'the handle' },
    invalid: { seg_type: 'voxel', input: IMAGE },
    cost: 10
  },
  '/mesh/complete': {
    type: 'mesh_completion',
    valid: async (h) => ({ input: await segmented(h), completion_mode: 'quick_cap', part_names: ['leg'] }),
    echo: { model: 'v1.0-20250506', completion_mode: 'quick_cap', part_names: ['leg'] },
    invalid: { input: 'x', part_names: 'leg' },
    cost: 50
  },
  '/mesh/decimate': {
    type: 'highpoly_to_lowpoly',
    valid: async (h) => ({ input: await model(h), face_limit: 5000 }),
    echo: { model: 'v2.0', quad: false, bake: true, face_limit: 5000 },
    invalid: { input: 'x', quad: 'yes' },
    cost: 30
  }
}

t.test('the cases cover every capability, and the capabilities every creation path of the reference', async (t) => {
  t.same(Object.keys(CASES).sort(), CAPABILITIES.map((capability) => capability.path).sort())
  t.equal(CAPABILITIES.length, 20)
  t.equal(new Set(CAPABILITIES.map((capability) => capability.name)).size, 20, 'operation ids are unique')
})

for (const [path, testCase] of Object.entries(CASES)) {
  t.test(`${path}: a valid request is created with its defaults echoed`, async (t) => {
    const h = await harness(t)
    const v3 = v3Calls(h)
    const body = await testCase.valid(h)
    const before = await h.balance()
    const created = await v3.create(path, body)
    t.equal(created.statusCode, 200, created.body)
    const answer = created.json()
    t.same(Object.keys(answer), ['code', 'status', 'data'], 'V3\'s success envelope')
    t.equal(answer.status, 'success')
    t.match(answer.data, { type: testCase.type, status: 'queued' })
    t.match(answer.data.task_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'task_id is a UUID v4')

    const task = await v3.read(answer.data.task_id)
    t.equal(task.type, testCase.type)
    t.equal(task.status, 'queued')
    t.match(task.input, testCase.echo)
    t.equal(task.credits_consumed, 0, 'nothing consumed until it succeeds')
    t.same(await h.balance(), { balance: before.balance - testCase.cost, frozen: before.frozen + testCase.cost }, 'its price is frozen')
    h.clock.advance(10 * 60 * 1000)
    t.equal((await v3.read(answer.data.task_id)).credits_consumed, testCase.cost, 'and consumed once it succeeded')
  })

  t.test(`${path}: an invalid request answers 1004 in V3's envelope`, async (t) => {
    const h = await harness(t)
    const response = await v3Calls(h).create(path, testCase.invalid)
    t.equal(response.statusCode, 400)
    const body = response.json()
    t.same(body, {
      code: 1004,
      status: 'error',
      message: 'One or more of your parameter is invalid',
      suggestion: 'Refer to the API documentation for parameter requirements',
      request_id: response.headers['x-tripo-trace-id']
    })
    t.ok(h.logs.find((line) => line['code'] === 1004 && typeof line['detail'] === 'string'), 'the refusal is logged with what was wrong')
  })
}

t.test('unknown fields pass through to the echo, as the real server forwards them', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const id = await v3.task('/generation/text-to-model', { prompt: 'a cat', model: MODEL, future_option: { depth: 2 } })
  t.same((await v3.read(id)).input.future_option, { depth: 2 })
})

t.test('V2\'s field names are read on V3: model_version, file, original_model_task_id, files, original_task_id', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const token = await v3.upload(PNG)
  const byVersion = await v3.task('/generation/image-to-model', { file: { type: 'png', file_token: token }, model_version: 'v2.5-20250123' })
  t.match((await v3.read(byVersion)).input, { model_version: 'v2.5-20250123', file: { file_token: token } })
  const source = await model(h)
  t.equal((await v3.create('/models/convert', { original_model_task_id: source, format: 'FBX' })).statusCode, 200)
  t.equal((await v3.create('/generation/multiview-to-model', { files: [{ url: IMAGE }, {}, {}, { url: IMAGE }], model: MODEL })).statusCode, 200)
  const views = await multiview(h)
  t.equal((await v3.create('/generation/edit-multiview', { original_task_id: views, prompts: [{ view: 'left', prompt: 'x' }] })).statusCode, 200)
  t.equal((await v3.create('/models/refine', { input: await draft(h) })).statusCode, 200)
})

t.test('an input names a URL, a file_token, or a task id; as a string or a descriptor', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const token = await v3.upload(PNG)
  const image = await v3.finished('/generation/text-to-image', { prompt: 'a cat' })
  for (const input of [IMAGE, token, image, { url: IMAGE }, { file_token: token }, { task_id: image }, { type: 'png', file_token: token }]) {
    const response = await v3.create('/generation/image-to-model', { input, model: MODEL })
    t.equal(response.statusCode, 200, JSON.stringify(input))
  }
  const glb = await v3.upload(GLB)
  for (const input of [glb, 'https://example.com/chair.glb', await model(h)]) {
    t.equal((await v3.create('/models/texture', { input })).statusCode, 200, `a model as ${input}`)
  }
})

t.test('multiview-to-model takes positional views, view-keyed views, or a multiview task', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const views = await multiview(h)
  const read = async (body: Record<string, unknown>) => (await v3.read(await v3.task('/generation/multiview-to-model', { ...body, model: MODEL }))).input
  t.match(await read({ inputs: [{ front: IMAGE }, { back: { url: IMAGE } }] }), { inputs: [{ front: IMAGE }, { back: { url: IMAGE } }] })
  t.equal((await v3.create('/generation/multiview-to-model', { inputs: [{ front: IMAGE }], model: MODEL })).statusCode, 400, 'a single view is not enough')
  t.equal((await v3.create('/generation/multiview-to-model', { inputs: [{ left: IMAGE }, { back: IMAGE }], model: MODEL })).statusCode, 400, 'the front view is required')
  t.equal((await v3.create('/generation/multiview-to-model', { inputs: [null, IMAGE, IMAGE, ''], model: MODEL })).statusCode, 400, 'the front view is required')
  await read({ inputs: [{ task_id: views }] })
  await read({ input: views })
  // With a source task, the views are ignored (X-skill §4), not refused as V2 does.
  await read({ original_model_task_id: views, inputs: [IMAGE, '', '', IMAGE] })
  t.equal((await v3.create('/generation/multiview-to-model', { input: IMAGE, model: MODEL })).statusCode, 400, 'a file is not a multiview task')
  t.equal((await v3.create('/generation/multiview-to-model', { model: MODEL })).statusCode, 400, 'views or a task are required')
})

t.test('texture takes texture_prompt, or the JS SDK\'s text_prompt, image_prompt and style_image', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const source = await model(h)
  const token = await v3.upload(PNG)
  for (const prompt of [
    { texture_prompt: { text: 'oak', style_image: IMAGE } },
    { texture_prompt: { image: token } },
    { texture_prompt: { images: [IMAGE, '', {}, { url: IMAGE }] } },
    { image_prompt: { file_token: token } },
    { text_prompt: 'oak', style_image: IMAGE },
    {}
  ]) {
    t.equal((await v3.create('/models/texture', { input: source, ...prompt })).statusCode, 200, JSON.stringify(prompt))
    // Model processing runs 5 at a time on V3: let each finish.
    h.clock.advance(10 * 60 * 1000)
  }
  t.equal((await v3.create('/models/texture', { input: source, texture_prompt: { images: [IMAGE, '', '', ''] } })).statusCode, 400, 'two views at least')
})

t.test('more forms: image_autofix, a style image, V2\'s files on image-to-image, a model to smartsegment', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const autofix = await v3.task('/generation/image-to-model', { input: IMAGE, model: MODEL, image_autofix: true })
  t.match((await v3.read(autofix)).input, { image_autofix: true, enable_image_autofix: false }, 'the echo keeps what was sent')
  t.equal(h.services.emulator.findTask(autofix)?.params['enable_image_autofix'], true, 'read as enable_image_autofix')
  h.clock.advance(10 * 60 * 1000)
  t.equal((await v3.create('/generation/text-to-image', { prompt: 'a cat', style_image: { url: IMAGE } })).statusCode, 200)
  h.clock.advance(10 * 60 * 1000)
  t.equal((await v3.create('/generation/image-to-image', { files: [{ url: IMAGE }, { url: IMAGE }], prompt: 'x' })).statusCode, 200)
  h.clock.advance(10 * 60 * 1000)
  t.equal((await v3.create('/generation/image-to-image', { input: IMAGE, template: 't_pose' })).statusCode, 200, 'one reference, a template for a prompt')
  const segmentation = await v3.finished('/mesh/smartsegment', { seg_type: 'model', input: 'https://example.com/a.glb', transform: Array.from({ length: 16 }, (_, i) => i % 5 === 0 ? 1 : 0) })
  const task = await v3.read(segmentation)
  t.same(Object.keys(task.output), ['seg_model_url'])
  t.match(task.output.seg_model_url, /\/segmented\.glb\?/)
})

t.test('an import by URL is not fetched: it serves the sample model; by token, the file itself', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const byUrl = await v3.read(await v3.finished('/models/import', { input: 'https://example.com/chair.glb' }))
  t.match(byUrl.output.model_url, /\/base\.glb\?/)
  const token = await v3.upload(GLB)
  const byToken = await v3.read(await v3.finished('/models/import', { file: { type: 'glb', file_token: token } }))
  t.match(byToken.output.model_url, /\/imported\.glb\?/)
  const download = await h.app.inject({ url: byToken.output.model_url.replace(/^http:\/\/[^/]+/, '') })
  t.ok(download.rawPayload.equals(GLB), 'the very bytes uploaded')
})

t.test('a scenario\'s delivery rides on a V3 task: its output URLs are handed out expired', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const id = await v3.finished('/generation/text-to-model', { prompt: 'a car [[mock:output-url-expired]]', model: MODEL })
  const url = (await v3.read(id)).output.model_url as string
  const download = await h.app.inject({ url: url.replace(/^http:\/\/[^/]+/, '') })
  t.equal(download.statusCode, 403)
  t.match(download.body, /Request has expired/)
})

t.test('files given in V2\'s forms on V3 follow V3\'s rules: no base64, exactly one form', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const base64 = await v3.create('/generation/multiview-to-model', { files: [{ data: PNG.toString('base64') }, {}, { url: IMAGE }, {}], model: MODEL })
  t.equal(base64.json().code, 1004, 'base64 data is not read on V3')
  const both = await v3.create('/generation/image-to-image', { files: [{ url: IMAGE, file_token: 'file_x' }], prompt: 'x' })
  t.equal(both.json().code, 1004, 'two forms in one reference')
  const styled = await v3.task('/generation/text-to-model', { prompt: 'a cat', model: MODEL, style_image: IMAGE })
  t.match((await v3.read(styled)).input, { style_image: IMAGE })
  t.equal((await v3.create('/generation/text-to-model', { prompt: 'a cat', model: MODEL, style_image: 'file_00000000-0000-4000-8000-000000000000' })).json().code, 1004, 'the style image is resolved')
  t.equal((await v3.create('/generation/image-to-image', { input: IMAGE, files: [{ url: IMAGE }, { url: IMAGE }, { url: IMAGE }, { url: IMAGE }], prompt: 'x', model: 'seedream_v5' })).json().code, 1004, 'input and V2 files count together')
})

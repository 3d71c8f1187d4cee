/**
 * Every documented task type through POST /task: a valid request and the defaults it echoes in
 * `input`, and an invalid one (1004). Types that reference another task get a finished source.
 */
import t from 'tap'
import { V2_TASK_TYPE_NAMES } from '../../src/domain/task-types/index.ts'
import { GLB, signedPut, stsToken } from '../fixtures/files.ts'
import { harness, type Harness } from '../fixtures/harness.ts'

const IMAGE = { type: 'png', url: 'https://example.com/cat.png' }

interface Case {
  /** Builds a valid body (sources created through `h` as needed). */
  valid (h: Harness): Promise<Record<string, unknown>>
  /** The `input` echo the valid body must produce (subset match). */
  echo: Record<string, unknown>
  invalid: Record<string, unknown>
  cost: number
}

const model = (h: Harness) => h.finishedTask({ type: 'text_to_model', prompt: 'a chair' })
const rig = async (h: Harness) => h.finishedTask({ type: 'animate_rig', original_model_task_id: await model(h) })
const segmentation = async (h: Harness) => h.finishedTask({ type: 'mesh_segmentation', original_model_task_id: await model(h) })
const multiview = (h: Harness) => h.finishedTask({ type: 'generate_multiview_image', file: IMAGE })
const draft = (h: Harness) => h.finishedTask({ type: 'text_to_model', prompt: 'a draft', model_version: 'v1.4-20240625' })
/** A GLB put through STS (with the emulator's S3 endpoint), as import_model needs. */
async function stsObject (h: Harness): Promise<{ bucket: string, key: string }> {
  const token = await stsToken(h, 'glb')
  const { url, headers } = signedPut(token, GLB)
  const stored = await h.app.inject({ method: 'PUT', url, headers, payload: GLB })
  if (stored.statusCode !== 200) throw new Error(`PUT failed: ${stored.body}`)
  return { bucket: token.resource_bucket, key: token.resource_uri }
}

const CASES: Record<string, Case> = {
  text_to_model: {
    valid: async () => ({ type: 'text_to_model', prompt: 'a small cat' }),
    echo: { prompt: 'a small cat', model_version: 'v2.5-20250123', texture: true, pbr: true, texture_quality: 'standard', auto_size: false, export_uv: true, quad: false, smart_low_poly: false, generate_parts: false },
    invalid: { type: 'text_to_model', prompt: 'x'.repeat(1025) },
    cost: 20
  },
  image_to_model: {
    valid: async () => ({ type: 'image_to_model', file: IMAGE }),
    echo: { file: IMAGE, model_version: 'v2.5-20250123', texture_alignment: 'original_image', orientation: 'default', enable_image_autofix: false, texture: true, pbr: true },
    invalid: { type: 'image_to_model' },
    cost: 30
  },
  multiview_to_model: {
    valid: async () => ({ type: 'multiview_to_model', files: [IMAGE, {}, IMAGE, {}] }),
    echo: { model_version: 'v2.5-20250123', texture: true, orientation: 'default' },
    invalid: { type: 'multiview_to_model', files: [IMAGE, IMAGE] },
    cost: 30
  },
  refine_model: {
    valid: async (h) => ({ type: 'refine_model', draft_model_task_id: await draft(h) }),
    echo: {},
    invalid: { type: 'refine_model', draft_model_task_id: 42 },
    cost: 20
  },
  texture_model: {
    valid: async (h) => ({ type: 'texture_model', original_model_task_id: await model(h), texture_prompt: { text: 'wooden' } }),
    echo: { model_version: 'v2.5-20250123', texture: true, pbr: true, texture_alignment: 'original_image', texture_quality: 'standard', bake: true },
    invalid: { type: 'texture_model', original_model_task_id: 'x', texture_quality: 'ultra' },
    cost: 10
  },
  animate_prerigcheck: {
    valid: async (h) => ({ type: 'animate_prerigcheck', original_model_task_id: await model(h) }),
    echo: {},
    invalid: { type: 'animate_prerigcheck' },
    cost: 0
  },
  animate_rig: {
    valid: async (h) => ({ type: 'animate_rig', original_model_task_id: await model(h) }),
    echo: { out_format: 'glb', model_version: 'v1.0-20240301', rig_type: 'biped', spec: 'tripo' },
    invalid: { type: 'animate_rig', original_model_task_id: 'x', out_format: 'obj' },
    cost: 25
  },
  animate_retarget: {
    valid: async (h) => ({ type: 'animate_retarget', original_model_task_id: await rig(h), animations: ['preset:walk', 'preset:biped:dance_01'] }),
    echo: { out_format: 'glb', bake_animation: true, export_with_geometry: true, animate_in_place: false },
    invalid: { type: 'animate_retarget', original_model_task_id: 'x', animation: 'preset:moonwalk' },
    cost: 20
  },
  stylize_model: {
    valid: async (h) => ({ type: 'stylize_model', original_model_task_id: await model(h), style: 'minecraft' }),
    echo: { style: 'minecraft', block_size: 80 },
    invalid: { type: 'stylize_model', original_model_task_id: 'x', style: 'lego', block_size: 500 },
    cost: 20
  },
  convert_model: {
    valid: async (h) => ({ type: 'convert_model', original_model_task_id: await model(h), format: 'obj' }),
    echo: { format: 'OBJ', quad: false, with_animation: true, bake: true, export_orientation: '+x', fbx_preset: 'blender' },
    invalid: { type: 'convert_model', original_model_task_id: 'x', format: 'blend' },
    cost: 5
  },
  mesh_segmentation: {
    valid: async (h) => ({ type: 'mesh_segmentation', original_model_task_id: await model(h) }),
    echo: { model_version: 'v1.0-20250506' },
    invalid: { type: 'mesh_segmentation', original_model_task_id: '' },
    cost: 40
  },
  mesh_completion: {
    valid: async (h) => ({ type: 'mesh_completion', original_model_task_id: await segmentation(h), part_names: ['leg'] }),
    echo: { model_version: 'v1.0-20250506', part_names: ['leg'] },
    invalid: { type: 'mesh_completion', original_model_task_id: 'x', part_names: 'leg' },
    cost: 50
  },
  highpoly_to_lowpoly: {
    valid: async (h) => ({ type: 'highpoly_to_lowpoly', original_model_task_id: await model(h), face_limit: 5000 }),
    echo: { model_version: 'P-v2.0-20251225', quad: false, bake: true, face_limit: 5000 },
    invalid: { type: 'highpoly_to_lowpoly', original_model_task_id: 'x', quad: 'yes' },
    cost: 30
  },
  import_model: {
    valid: async (h) => ({ type: 'import_model', file: { object: await stsObject(h) } }),
    echo: {},
    invalid: { type: 'import_model', file: 'model.glb' },
    cost: 0
  },
  text_to_image: {
    valid: async () => ({ type: 'text_to_image', prompt: 'a castle' }),
    echo: { prompt: 'a castle' },
    invalid: { type: 'text_to_image', prompt: '' },
    cost: 5
  },
  generate_image: {
    valid: async () => ({ type: 'generate_image', prompt: 'a castle in image[1]', file: IMAGE }),
    echo: { model_version: 'flux.1_kontext_pro', t_pose: false, sketch_to_render: false },
    invalid: { type: 'generate_image', prompt: 'x', files: [] },
    cost: 5
  },
  generate_multiview_image: {
    valid: async () => ({ type: 'generate_multiview_image', file: IMAGE }),
    echo: { file: IMAGE },
    invalid: { type: 'generate_multiview_image', file: { type: 'png', url: 7 } },
    cost: 10
  },
  edit_multiview_image: {
    valid: async (h) => ({ type: 'edit_multiview_image', original_task_id: await multiview(h), prompts: [{ view: 'front', prompt: 'add a hat' }, { view: 'back', prompt: 'add a cape' }] }),
    echo: { prompts: [{ view: 'front', prompt: 'add a hat' }, { view: 'back', prompt: 'add a cape' }] },
    invalid: { type: 'edit_multiview_image', original_task_id: 'x', prompts: [{ view: 'top', prompt: 'x' }] },
    cost: 10
  }
}

t.test('the cases cover every documented task type', async (t) => {
  t.same(Object.keys(CASES).sort(), [...V2_TASK_TYPE_NAMES].sort())
  t.equal(V2_TASK_TYPE_NAMES.length, 18)
})

for (const [type, testCase] of Object.entries(CASES)) {
  t.test(`${type}: a valid request is created with its defaults echoed`, async (t) => {
    const h = await harness(t)
    const body = await testCase.valid(h)
    const before = await h.balance()
    const created = await h.createTask(body)
    t.equal(created.statusCode, 200, created.body)
    const { data } = created.json() as { data: { task_id: string } }
    t.match(data.task_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'task_id is a UUID v4')
    t.same(Object.keys(data), ['task_id'], 'V2 answers only the task id')

    const read = await h.getTask(data.task_id)
    const task = read.json().data
    t.equal(task.type, type)
    t.equal(task.status, 'queued')
    t.match(task.input, testCase.echo)
    t.notOk('type' in task.input, 'the echo holds the parameters, not the type')
    t.equal(task.consumed_credit, testCase.cost, 'cost from the credit table')
    t.same(await h.balance(), { balance: before.balance - testCase.cost, frozen: before.frozen + testCase.cost })
  })

  t.test(`${type}: an invalid request answers 1004`, async (t) => {
    const h = await harness(t)
    const response = await h.createTask(testCase.invalid)
    t.equal(response.statusCode, 400)
    t.same(response.json(), { code: 1004, message: 'One or more of your parameter is invalid', suggestion: 'Refer to the API documentation for parameter requirements' })
    const logged = h.logs.find((line) => line['code'] === 1004)
    t.ok(logged, 'the refusal is logged')
    t.type(logged?.['detail'], 'string', 'with the offending field')
  })
}

/**
 * The task lifecycle through GET /task/{id}, walked with the manual clock: queued → running
 * (progress rising, running_left_time falling) → success, with outputs and credits.
 */
import { Ajv } from 'ajv'
import t from 'tap'
import { Envelope } from '../../src/api/common.ts'
import { TaskSchema } from '../../src/api/v2/task-wire.ts'
import { harness, KEY, OTHER_KEY, bearer } from '../fixtures/harness.ts'

const validateTask = new Ajv({ strict: false }).compile(Envelope(TaskSchema, 'task'))

t.test('a text_to_model task walks queued → running → success on clock advances alone', async (t) => {
  const h = await harness(t, { durations: { text_to_model: { queuedMs: 2000, runningMs: 10000 } } })
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a small cat' })
  const read = async () => {
    const response = await h.getTask(id)
    t.ok(validateTask(response.json()), 'matches the Task schema')
    return response.json().data
  }

  const queued = await read()
  t.match(queued, { task_id: id, type: 'text_to_model', status: 'queued', progress: 0, output: {}, result: {}, prompt: 'a small cat', consumed_credit: 20 })
  t.equal(queued.queuing_num, 0, 'nothing ahead of it')
  t.equal(queued.create_time, Math.floor(h.clock.now() / 1000))
  t.equal(queued.running_left_time, 12)

  const seen: Array<{ progress: number, left: number }> = []
  h.clock.advance(2000)
  for (let step = 0; step < 10; step++) {
    const running = await read()
    t.equal(running.status, 'running')
    t.equal(running.queuing_num, -1)
    seen.push({ progress: running.progress, left: running.running_left_time })
    h.clock.advance(999)
  }
  t.ok(seen.every((point, i) => i === 0 || point.progress >= (seen[i - 1]?.progress ?? 0)), 'progress never falls')
  t.ok(seen.every((point, i) => i === 0 || point.left <= (seen[i - 1]?.left ?? Infinity)), 'running_left_time never rises')
  t.ok((seen.at(-1)?.progress ?? 0) > (seen[0]?.progress ?? 0), 'progress rises')
  t.ok(seen.every((point) => point.progress % 5 === 0 && point.progress < 100), 'in steps of 5, below 100')

  h.clock.advance(10)
  const done = await read()
  t.match(done, { status: 'success', progress: 100, queuing_num: -1, running_left_time: -1, consumed_credit: 20 })
  t.notOk('error_code' in done)
  t.same(Object.keys(done.output).sort(), ['base_model', 'generated_image', 'pbr_model', 'rendered_image'])
  t.match(done.output.pbr_model, /^http:\/\/localhost:80\/files\/[0-9a-f-]{36}\/textured\.glb\?Expires=\d+&Signature=[\w-]+&Key-Pair-Id=\w+$/)
  t.match(done.output.base_model, /\/base\.glb\?/)
  t.match(done.output.rendered_image, /\/preview\.webp\?/)
  t.match(done.output.generated_image, /\/generated\.webp\?/)
  t.same(done.result, { pbr_model: { type: 'glb', url: done.output.pbr_model }, base_model: { type: 'glb', url: done.output.base_model } }, 'legacy result mirrors the model outputs')
  t.same(Object.keys(done), ['task_id', 'type', 'status', 'input', 'output', 'progress', 'create_time', 'prompt', 'queuing_num', 'running_left_time', 'consumed_credit', 'result'], 'the seed\'s field order')
})

t.test('output keys follow texture, pbr and quad', async (t) => {
  const h = await harness(t)
  const outputOf = async (body: Record<string, unknown>) => (await h.getTask(await h.finishedTask(body))).json().data.output
  t.same(Object.keys(await outputOf({ type: 'text_to_model', prompt: 'a', texture: false, pbr: false })).sort(), ['base_model', 'generated_image', 'rendered_image'])
  t.same(Object.keys(await outputOf({ type: 'image_to_model', file: { url: 'https://x/y.png' }, pbr: false })).sort(), ['base_model', 'model', 'rendered_image'])
  const quad = await outputOf({ type: 'text_to_model', prompt: 'a', quad: true })
  t.match(quad.pbr_model, /\/quad\.fbx\?/, 'quad meshes are FBX')
  const parts = await outputOf({ type: 'text_to_model', prompt: 'a', generate_parts: true })
  t.notOk('pbr_model' in parts, 'parts come untextured')
  const prerig = await outputOf({ type: 'animate_prerigcheck', original_model_task_id: await h.finishedTask({ type: 'text_to_model', prompt: 'a' }) })
  t.same(prerig, { riggable: true, rig_type: 'biped' })
  const views = await outputOf({ type: 'generate_multiview_image', file: { url: 'https://x/y.png' } })
  t.same(Object.keys(views.generate_multiview_image), ['front_view_url', 'left_view_url', 'back_view_url', 'right_view_url'])
  t.match(views.generate_multiview_image.back_view_url, /\/view-back\.png\?/)
  const converted = await outputOf({ type: 'convert_model', original_model_task_id: await h.finishedTask({ type: 'text_to_model', prompt: 'a' }), format: 'obj' })
  t.match(converted.model, /\/model\.obj\.zip\?/, 'OBJ is delivered zipped')
})

t.test('queue positions fall as the task nears the head', async (t) => {
  const h = await harness(t, { durations: { text_to_image: { queuedMs: 4000, runningMs: 1000 } } })
  await h.newTask({ type: 'text_to_image', prompt: 'one' })
  await h.newTask({ type: 'text_to_image', prompt: 'two' })
  const third = await h.newTask({ type: 'text_to_image', prompt: 'three' })
  t.equal((await h.getTask(third)).json().data.queuing_num, 2)
  h.clock.advance(3000)
  t.equal((await h.getTask(third)).json().data.queuing_num, 1)
  h.clock.advance(1000)
  t.equal((await h.getTask(third)).json().data.status, 'running')
})

t.test('durations are configurable per task type', async (t) => {
  const h = await harness(t, { durations: { text_to_image: { queuedMs: 0, runningMs: 100 } } })
  const id = await h.newTask({ type: 'text_to_image', prompt: 'fast' })
  t.equal((await h.getTask(id)).json().data.status, 'running')
  h.clock.advance(100)
  t.equal((await h.getTask(id)).json().data.status, 'success')
})

t.test('a key sees only its own tasks: another key gets 2001', async (t) => {
  const h = await harness(t)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'mine' })
  t.equal((await h.getTask(id, KEY)).statusCode, 200)
  const foreign = await h.getTask(id, OTHER_KEY)
  t.equal(foreign.statusCode, 404)
  t.same(foreign.json(), { code: 2001, message: 'The task is not found', suggestion: 'Check if the task is committed by you or whether the format is correct' })
  t.equal((await h.getTask('not-a-task')).json().code, 2001)
  t.same(await h.balance(OTHER_KEY), { balance: 10000, frozen: 0 }, 'credits are per key too')
})

t.test('auth: missing, malformed or refused keys answer 401/1002', async (t) => {
  const h = await harness(t)
  const get = (authorization?: string) => h.app.inject({ url: '/v2/openapi/user/balance', headers: authorization === undefined ? {} : { authorization } })
  const refused = { code: 1002, message: 'Authentication failed', suggestion: 'Check if your credentials is valid, and ensure you set it correctly' }
  for (const header of [undefined, '', 'tsk_no_scheme', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer sk_live_123', 'Bearer tsk_']) {
    const response = await get(header)
    t.equal(response.statusCode, 401, String(header))
    t.same(response.json(), refused)
  }
  t.equal((await get('bearer  tsk_anything ')).statusCode, 200, 'the scheme is case-insensitive')

  const listed = await harness(t, { apiKeys: ['tsk_allowed', 'custom-key'] })
  t.equal((await listed.app.inject({ url: '/v2/openapi/user/balance', headers: bearer('tsk_allowed') })).statusCode, 200)
  t.equal((await listed.app.inject({ url: '/v2/openapi/user/balance', headers: bearer('custom-key') })).statusCode, 200)
  t.equal((await listed.app.inject({ url: '/v2/openapi/user/balance', headers: bearer('tsk_other') })).statusCode, 401)
})

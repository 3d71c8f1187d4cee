/**
 * Credits (freeze, settle, refund, 2010), the per-group concurrency limits (2000) and the request
 * rate limit (1007), each with a Retry-After that holds.
 */
import t from 'tap'
import { harness, bearer } from '../fixtures/harness.ts'

t.test('credits are frozen at creation and settled on success', async (t) => {
  const h = await harness(t, { startingCredits: 100 })
  t.same(await h.balance(), { balance: 100, frozen: 0 })
  await h.newTask({ type: 'text_to_model', prompt: 'a', texture_quality: 'detailed', geometry_quality: 'detailed', model_version: 'v3.1-20260211' })
  t.same(await h.balance(), { balance: 50, frozen: 50 }, 'v3.1 detailed texture + detailed geometry: 50 (NOTES)')
  h.clock.advance(60_000)
  t.same(await h.balance(), { balance: 50, frozen: 0 }, 'settled: kept')
  const alias = await h.app.inject({ url: '/v2/openapi/user/wallet/balance', headers: bearer() })
  t.same(alias.json(), { code: 0, data: { balance: 50, frozen: 0 } }, 'the wallet alias answers the same')
})

t.test('not enough credit answers 403/2010 and creates nothing; free tasks still pass', async (t) => {
  const h = await harness(t, { startingCredits: 25 })
  const model = await h.finishedTask({ type: 'text_to_model', prompt: 'a' })
  const refused = await h.createTask({ type: 'text_to_model', prompt: 'b' })
  t.equal(refused.statusCode, 403)
  t.same(refused.json(), { code: 2010, message: "You don't have enough credit to create this task", suggestion: 'Please purchase more credit' })
  t.same(await h.balance(), { balance: 5, frozen: 0 }, 'the refused task froze nothing')
  await h.finishedTask({ type: 'text_to_image', prompt: 'cheap' })
  t.same(await h.balance(), { balance: 0, frozen: 0 })
  t.equal((await h.createTask({ type: 'text_to_image', prompt: 'one more' })).json().code, 2010)
  await h.newTask({ type: 'animate_prerigcheck', original_model_task_id: model })
  t.same(await h.balance(), { balance: 0, frozen: 0 }, 'prerigcheck is free')
})

t.test('prices from the credit table', async (t) => {
  const h = await harness(t)
  const cost = async (body: Record<string, unknown>) => (await h.getTask(await h.newTask(body))).json().data.consumed_credit
  t.equal(await cost({ type: 'text_to_model', prompt: 'a', texture: false, pbr: false }), 10)
  t.equal(await cost({ type: 'text_to_model', prompt: 'a', smart_low_poly: true }), 30, 'smart low poly +10')
  t.equal(await cost({ type: 'text_to_model', prompt: 'a', quad: true }), 25, 'quad +5')
  t.equal(await cost({ type: 'text_to_model', prompt: 'a', generate_parts: true }), 30, 'parts +20, untextured')
  t.equal(await cost({ type: 'text_to_model', prompt: 'a', texture_quality: 'extreme' }), 40)
  t.equal(await cost({ type: 'text_to_model', prompt: 'a', model_version: 'P1-20260311', pbr: false, texture: false }), 30)
  t.equal(await cost({ type: 'image_to_model', file: { url: 'https://x/y.png' }, model_version: 'P1-20260311' }), 50)
  t.equal(await cost({ type: 'generate_image', prompt: 'a', model_version: 'gpt_image_2' }), 10)
  h.clock.advance(60_000)
  const model = await h.finishedTask({ type: 'text_to_model', prompt: 'a' })
  t.equal(await cost({ type: 'texture_model', original_model_task_id: model, texture_quality: 'extreme' }), 30)
  t.equal(await cost({ type: 'convert_model', original_model_task_id: model, format: 'STL' }), 5)
  t.equal(await cost({ type: 'convert_model', original_model_task_id: model, format: 'STL', scale_factor: 2 }), 10, 'complex convert +5')
  t.equal(await cost({ type: 'convert_model', original_model_task_id: model, format: 'STL', flatten_bottom: true }), 10)
})

t.test('a concurrency group that is full answers 429/2000 with a Retry-After that holds', async (t) => {
  const h = await harness(t, { durations: { generate_multiview_image: { queuedMs: 1000, runningMs: 8000 } } })
  const body = { type: 'generate_multiview_image', file: { url: 'https://x/y.png' } }
  await h.newTask(body)
  h.clock.advance(2500)
  const refused = await h.createTask(body)
  t.equal(refused.statusCode, 429)
  t.same(refused.json(), { code: 2000, message: 'You have exceeded the limit of generation', suggestion: 'Try again later. You can also check Retry-After header.' })
  t.equal(refused.headers['retry-after'], '7', 'seconds until the running task finishes')
  h.clock.advance(6499)
  t.equal((await h.createTask(body)).statusCode, 429, 'one millisecond before the slot frees it is still refused')
  h.clock.advance(1)
  t.equal((await h.createTask(body)).statusCode, 200, 'within Retry-After seconds it passes')
})

t.test('the model generation group holds 10 tasks (P1: 5), and limits are configurable', async (t) => {
  const h = await harness(t)
  for (let i = 0; i < 10; i++) await h.newTask({ type: 'text_to_model', prompt: `cat ${i}` })
  t.equal((await h.createTask({ type: 'image_to_model', file: { url: 'https://x/y.png' } })).json().code, 2000, 'shared by text, image and multiview')
  for (let i = 0; i < 5; i++) await h.newTask({ type: 'text_to_model', prompt: `p1 ${i}`, model_version: 'P1-20260311' })
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'p1', model_version: 'P1-20260311' })).json().code, 2000)
  await h.newTask({ type: 'text_to_image', prompt: 'other groups are free' })

  const tight = await harness(t, { concurrencyLimits: { other: 1 } })
  await tight.newTask({ type: 'text_to_image', prompt: 'one' })
  t.equal((await tight.createTask({ type: 'text_to_image', prompt: 'two' })).json().code, 2000)
})

t.test('Retry-After is in wall seconds: scaled by the speed of a real clock', async (t) => {
  const h = await harness(t, { durations: { generate_multiview_image: { queuedMs: 0, runningMs: 20000 } } })
  const body = { type: 'generate_multiview_image', file: { url: 'https://x/y.png' } }
  await h.newTask(body)
  h.clock.setMode('real')
  h.clock.setSpeed(10)
  const refused = await h.createTask(body)
  t.equal(refused.headers['retry-after'], '2', '20 virtual seconds at speed 10')
})

t.test('the request rate limit answers 429/1007 with Retry-After, then lets the next window pass', async (t) => {
  const h = await harness(t, { requestsPerSecond: 3 })
  for (let i = 0; i < 3; i++) t.equal((await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer() })).statusCode, 200)
  const limited = await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer() })
  t.equal(limited.statusCode, 429)
  t.same(limited.json(), { code: 1007, message: "Rate limit exceeded, you've generated too many requests in a short amount of time", suggestion: 'Please wait for a while and try again' })
  t.equal(limited.headers['retry-after'], '1')
  t.equal((await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer('tsk_someone_else_entirely') })).statusCode, 200, 'per key')
  h.clock.advance(1000)
  t.equal((await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer() })).statusCode, 200)
})

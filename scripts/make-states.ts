/**
 * Writes the prepared states into states/ (or the folder given as the first argument), which
 * `--import <name>` loads by name. `npm run states`. Each is made by driving the emulator through
 * its own API on a manual clock, with ids drawn from a seeded hash, so a rerun writes the same file.
 *
 * `demo`: the key tsk_demo_qa, with tasks of both surfaces in every status and fate (success;
 * failed at the end and at 60%; banned, expired, cancelled, unknown; queued for hours, running
 * for hours, stalled in the queue and stalled running), a V3 image upload, a V3 model upload (its
 * bytes are in the snapshot) imported as a task, the ad-hoc scenario that paced the live tasks, and
 * a webhook endpoint of the key at a loopback port where nothing listens: a task.failed delivery
 * that used every attempt, and one waiting for its retry. Imported, it resumes at the instant it
 * was taken: the queued tasks are still queued, the running ones still running, the retry due.
 *
 * The attempts are real (refused at once); what a rerun could not repeat is pinned: the
 * signature's `t` is the emulator's time, the latency a constant. The retry schedule is the
 * default's first four steps (0s, 5s, 5m, 30m), so the failed delivery fits the demo's hour.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/app.ts'
import { createClock } from '../src/domain/clock.ts'
import { loadConfig } from '../src/infra/config.ts'
import { createWebhookTransport } from '../src/infra/webhook-transport.ts'

const ROOT = new URL('../', import.meta.url)
const KEY = 'tsk_demo_qa'
const AUTH = { authorization: `Bearer ${KEY}` }
const MINUTE = 60_000
/** Port 9 (discard) on loopback, where nothing listens: every attempt is refused at once. */
const HOOKS = 'http://127.0.0.1:9/hooks'
const RETRIES = ['0s', '5s', '5m', '30m']

/** Deterministic stand-ins for random ids and bytes: sha256 of a counter. */
function seeded (label: string) {
  let counter = 0
  const next = () => createHash('sha256').update(`${label}/${counter++}`).digest()
  return {
    newId: () => {
      const hex = next().toString('hex')
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
    },
    random: (size: number) => {
      const chunks: Buffer[] = []
      for (let length = 0; length < size; length += 32) chunks.push(next())
      return Buffer.concat(chunks).subarray(0, size)
    }
  }
}

async function demo (): Promise<string> {
  const clock = createClock({ mode: 'manual', start: Date.UTC(2026, 0, 5, 9, 0, 0) })
  const http = createWebhookTransport({ timeoutMs: 5000, userAgent: 'tripo-mock-states' })
  const { app, services } = await buildApp({
    config: loadConfig({ overrides: { clockMode: 'manual', webhookRetrySchedule: RETRIES } }),
    overrides: {
      clock,
      ...seeded('tripo-mock demo'),
      wallNow: () => clock.now(),
      webhookTransport: { send: async (request) => ({ ...await http.send(request), latencyMs: 0.5 }) }
    },
    logger: false
  })
  const call = async (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method, url, headers: { ...AUTH, ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) })
    if (response.statusCode !== 200 && response.statusCode !== 201) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
    return response.json() as { data: Record<string, string> }
  }
  /** Triggers a task's event to the endpoint, and waits for its first attempt. */
  const webhook = async (taskId: string) => {
    await call('POST', '/__mock/webhooks/trigger', { taskId })
    await services.webhooks.idle()
  }
  const upload = async (file: string) => {
    const boundary = 'tripo-mock-demo'
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      readFileSync(new URL(`fixtures/${file}`, ROOT)),
      Buffer.from(`\r\n--${boundary}--\r\n`)
    ])
    const response = await app.inject({ method: 'POST', url: '/v3/files', headers: { ...AUTH, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
    return (response.json() as { data: { file_token: string } }).data.file_token
  }
  const v3 = (path: string, body: object, scenario?: string, headers: Record<string, string> = {}) =>
    call('POST', `/v3${path}`, body, scenario === undefined ? headers : { ...headers, 'x-tripo-mock-scenario': scenario })
  const v2 = (body: object, scenario?: string, headers: Record<string, string> = {}) =>
    call('POST', '/v2/openapi/task', body, scenario === undefined ? headers : { ...headers, 'x-tripo-mock-scenario': scenario })
  const model = 'v3.1-20260211'

  // Final by the time the snapshot is taken: every final status, on both surfaces.
  const image = await upload('generated.png')
  const glb = await upload('lowpoly.glb')
  await v3('/generation/text-to-model', { prompt: 'a red armchair', model })
  await v3('/generation/image-to-model', { input: image, model })
  await v3('/models/import', { input: glb })
  await v3('/generation/text-to-image', { prompt: 'a lighthouse at dusk' })
  const failed: string[] = []
  for (const scenario of ['task-failed', 'task-fails-at-60', 'task-banned', 'task-expired', 'task-cancelled', 'task-unknown']) {
    const { data } = await v3('/generation/text-to-model', { prompt: `a teapot (${scenario})`, model }, scenario)
    if (scenario === 'task-failed') failed.push(data['task_id'] as string)
  }
  await v2({ type: 'text_to_model', prompt: 'a wooden chair' })
  await v2({ type: 'text_to_image', prompt: 'a mountain lake' })
  for (const scenario of ['task-failed', 'task-fails-at-60', 'task-banned', 'task-expired', 'task-cancelled', 'task-unknown']) {
    const { data } = await v2({ type: 'text_to_model', prompt: `a vase (${scenario})` }, scenario)
    if (scenario === 'task-failed') failed.push(data['task_id'] as string)
  }
  clock.advance(60 * MINUTE)

  // A receiver that is not there: the V3 failed task's delivery uses every attempt of the schedule.
  await call('POST', '/__mock/webhooks/endpoints', { url: HOOKS, secret: 'whsec_tripo_mock_demo' }, { 'x-tripo-mock-key': KEY })
  await webhook(failed[0] as string)
  for (const step of [5_000, 5 * MINUTE, 30 * MINUTE]) {
    clock.advance(step)
    await services.webhooks.idle()
  }

  // Live when the snapshot is taken, paced by an ad-hoc scenario the request picks by a header.
  await call('POST', '/__mock/scenarios', {
    name: 'demo-pace',
    description: 'The demo\'s live tasks: x-demo-pace: queued (3 h in the queue), running (a 2 h run) or stalled (never leaves the queue)',
    rules: [
      { id: 'queued', match: { operation: 'createTask', header: { 'x-demo-pace': 'queued' } }, effect: { fate: { status: 'success', queueFor: '3h', runFor: '30m' } } },
      { id: 'running', match: { operation: 'createTask', header: { 'x-demo-pace': 'running' } }, effect: { fate: { status: 'success', queueFor: '0s', runFor: '2h' } } },
      { id: 'stalled', match: { operation: 'createTask', header: { 'x-demo-pace': 'stalled' } }, effect: { fate: { status: 'success', stall: 'queued' } } }
    ]
  })
  for (const pace of ['queued', 'running', 'stalled']) {
    await v3('/generation/text-to-model', { prompt: `a lantern (${pace})`, model }, 'demo-pace', { 'x-demo-pace': pace })
    await v2({ type: 'text_to_model', prompt: `a kite (${pace})` }, 'demo-pace', { 'x-demo-pace': pace })
  }
  await v3('/generation/text-to-model', { prompt: 'a clock tower (stalls running)', model }, 'task-stalls-running')
  await v2({ type: 'text_to_model', prompt: 'a bicycle (stalls running)' }, 'task-stalls-running')
  clock.advance(20 * MINUTE)
  // The V2 failed task's delivery: its first attempt refused, its retry due 5 s after the snapshot's time.
  await webhook(failed[1] as string)

  const document = services.state.export({ writtenAt: new Date(clock.now()).toISOString() })
  await app.close()
  http.close()
  return `${JSON.stringify(document, null, 2)}\n`
}

const folder = process.argv[2] ?? fileURLToPath(new URL('states/', ROOT))
mkdirSync(folder, { recursive: true })
const text = await demo()
writeFileSync(join(folder, 'demo.json'), text)
process.stdout.write(`demo.json ${String(text.length).padStart(9)} bytes\n`)

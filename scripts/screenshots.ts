/**
 * `npm run screenshots`: the README's pictures of the dashboard (docs/dashboard/*.png), taken in
 * Debian's headless Chromium from an emulator on the manual clock, set up as a QA demo would be:
 * a few keys, tasks in every state, a scenario switched on, requests answered and refused.
 */
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Page } from 'playwright-core'
import { keyIdOf } from '../src/control/common.ts'
import { startTripoMock } from '../src/index.ts'
import { CHROMIUM, CHROMIUM_FLAGS } from '../test/fixtures/browser.ts'

const OUT = 'docs/dashboard'
const APP_KEY = 'tsk_checkout_app_demo_key'
const QA_KEY = 'tsk_qa_team_demo_key_0042'

const mock = await startTripoMock({
  clockMode: 'manual',
  logger: false,
  durations: { text_to_model: { queuedMs: 2000, runningMs: 20_000 }, image_to_model: { queuedMs: 4000, runningMs: 30_000 } }
})
mock.clock.set('2030-03-02T09:30:00Z')
// A receiver for the Webhooks view: it takes task.completed and turns task.failed away (a retry is then due).
const receiver = createServer((request, response) => {
  request.resume().on('end', () => {
    const busy = request.headers['tripo-webhook-event'] === 'task.failed'
    response.writeHead(busy ? 503 : 204).end(busy ? 'upstream busy, try later' : '')
  })
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
mock.webhooks.addEndpoint({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tripo/webhooks`, secret: 'whsec_demo_receiver' })
const api = async (key: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<{ data?: { task_id: string } }> => {
  const response = await fetch(`${mock.v2Url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return await response.json() as { data?: { task_id: string } }
}

const ids: string[] = []
for (const prompt of ['a ceramic teapot', 'a wooden chair', 'a brass lamp']) {
  ids.push((await api(APP_KEY, '/task', { type: 'text_to_model', prompt })).data?.task_id as string)
  mock.clock.advance('7s')
}
await api(QA_KEY, '/task', { type: 'text_to_model', prompt: 'a red sneaker' }, { 'x-tripo-mock-scenario': 'task-fails-at-60' })
mock.scenarios.activate('rate-limited-then-ok', { key: QA_KEY })
await api(QA_KEY, '/task', { type: 'text_to_model', prompt: 'a blue sneaker' })
mock.clock.advance('3s')
for (const id of ids) await api(APP_KEY, `/task/${id}`)
await api(APP_KEY, '/task/00000000-0000-4000-8000-000000000000')
await api(QA_KEY, '/user/balance')
mock.clock.advance('12s')
for (const id of ids) await api(APP_KEY, `/task/${id}`)
ids.push((await api(APP_KEY, '/task', { type: 'text_to_model', prompt: 'a glass vase' })).data?.task_id as string)
mock.tasks.force(ids[3] as string, { status: 'banned', errorCode: 2008 })
await api(APP_KEY, '/task', { type: 'text_to_model', prompt: 'a glass bowl' })
mock.clock.advance('9s')

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
const page = await browser.newPage({ viewport: { width: 1280, height: 760 } })
const ui = `${mock.url}/__mock/ui/`
const shoot = async (name: string, ready: (page: Page) => Promise<unknown>): Promise<void> => {
  await ready(page)
  await page.screenshot({ path: `${OUT}/${name}.png` })
  console.log(`${OUT}/${name}.png`)
}
mkdirSync(OUT, { recursive: true })
try {
  const [failed] = mock.journal.entries({ code: 2000 }).entries
  await page.goto(`${ui}#/requests?selected=${failed?.traceId ?? ''}`)
  await shoot('requests', () => page.getByRole('complementary', { name: 'Request detail' }).getByText('Response body').waitFor())

  await page.goto(`${ui}#/tasks?task=${ids[0] as string}`)
  const detail = page.getByRole('complementary', { name: 'Task detail' })
  await detail.getByRole('button', { name: 'Preview in 3D' }).first().click()
  await detail.locator('.canvas-host[data-rendered="true"]').waitFor()
  await detail.locator('.preview').scrollIntoViewIfNeeded()
  await shoot('tasks', () => detail.getByText('Drag to turn the model').waitFor())

  await page.goto(`${ui}#/scenarios?key=${keyIdOf(QA_KEY)}`)
  await shoot('scenarios', () => page.getByRole('switch', { name: 'rate-limited-then-ok for tsk_qa_t…0042', checked: true }).waitFor())
  await page.getByLabel('Scenario (YAML)').fill('name: checkout-demo\ndescription: The first task creation is refused\nrules:\n  - match: { operation: createTask }\n    times: 1\n    effect: { error: CONTENT_POLICI }\n')
  await page.locator('#editor-message.problem').waitFor()
  await page.locator('.editor').scrollIntoViewIfNeeded()
  await shoot('scenario-editor', async () => {})

  await page.goto(`${ui}#/clock`)
  await shoot('clock', () => page.locator('.clock-now').waitFor())
  await page.goto(`${ui}#/keys`)
  await shoot('keys', () => page.getByRole('row', { name: /tsk_qa_t/ }).waitFor())
  await mock.webhooks.idle()
  const { deliveries: [refused] } = mock.webhooks.deliveries({ event: 'task.failed' })
  await page.goto(`${ui}#/webhooks?delivery=${refused?.id ?? ''}`)
  await shoot('webhooks', () => page.getByRole('table', { name: 'Attempts' }).getByText('upstream busy').waitFor())
  await page.goto(`${ui}#/state?key=${keyIdOf(QA_KEY)}`)
  await page.getByRole('button', { name: /^Reset tsk_qa_t/ }).click()
  await shoot('state', () => page.getByRole('dialog').waitFor())
} finally {
  await browser.close()
  await mock.close()
  receiver.close()
}

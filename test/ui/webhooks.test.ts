/**
 * The dashboard's Webhooks view in a real headless Chromium, against an emulator on the manual
 * clock and a webhook receiver on 127.0.0.1: an endpoint added from the page, a task's failed
 * attempt seen live, resent from the page and delivered; filters in the URL; disabled, enabled
 * and removed (once confirmed); an event triggered from the page and from a task's detail; the
 * attempts in the Requests view. Waits are on page conditions, never on the wall clock. Needs
 * `npm run build` first (npm test does).
 */
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { keyIdOf } from '../../src/control/common.ts'
import { launchBrowser, openPage, seriousViolations } from '../fixtures/browser.ts'
import { harness, KEY } from '../fixtures/harness.ts'
import { startReceiver } from '../fixtures/webhook-receiver.ts'

// A browser on a busy two-core machine.
t.setTimeout(240_000)

const browser = await launchBrowser(t)
const durations = { text_to_model: { queuedMs: 1000, runningMs: 10_000 } }
/** Past a text_to_model's final instant. */
const FINISH_MS = 60_000

interface Delivery {
  id: string
  event: string
  status: string
  attempts: Array<{ kind: string, status: number | null, response: string, error: string | null }>
}

async function noSeriousViolations (t: Test, page: Page, view: string): Promise<void> {
  t.same(await seriousViolations(page), [], `${view}: no serious or critical accessibility violation`)
}

async function live (page: Page): Promise<void> {
  await page.locator('.view-head .stream.live').waitFor()
}

t.test('an endpoint added from the page; a task\'s failed attempt shows live; resent from the page, it is delivered', async (t) => {
  const receiver = await startReceiver(t)
  receiver.answer((_, n) => n === 1 ? { status: 500, body: 'receiver down' } : { status: 200, body: 'thanks' })
  const h = await harness(t, { durations })
  const url = await h.listen()
  const { page, context, errors } = await openPage(t, browser, `${url}/__mock/ui/#/webhooks`)
  await live(page)
  await page.getByRole('link', { name: 'Webhooks', exact: true }).and(page.locator('[aria-current="page"]')).waitFor()
  const add = page.getByRole('form', { name: 'Add an endpoint' })
  await add.getByLabel('URL').fill(`${receiver.url}/hooks`)
  await add.getByLabel('Secret').fill('whsec_from_the_page')
  await add.getByRole('checkbox', { name: 'balance.low' }).uncheck()
  await add.getByRole('button', { name: 'Add endpoint' }).click()
  const endpointRow = page.getByRole('row', { name: new RegExp(`${receiver.url}/hooks`) })
  await endpointRow.getByText('enabled').waitFor()
  const { endpoints } = (await h.app.inject({ url: '/__mock/webhooks/endpoints' })).json() as { endpoints: unknown[] }
  t.match(endpoints, [{ url: `${receiver.url}/hooks`, secret: 'whsec_from_the_page', events: ['task.completed', 'task.failed'], scope: 'all', enabled: true }], 'the API has what the page added')

  const taskId = await h.newTask({ type: 'text_to_model', prompt: 'a kettle' })
  h.clock.advance(FINISH_MS)
  const failedRow = page.locator('.rows .row', { hasText: 'pending' })
  await failedRow.waitFor()
  t.match(await failedRow.textContent(), /task\.completed.*1 · 500/, 'the failed attempt, live')
  await failedRow.click()
  const detail = page.getByRole('complementary', { name: 'Delivery detail' })
  const attempts = detail.getByRole('table', { name: 'Attempts' })
  await attempts.getByText('receiver down').waitFor()
  t.match(await attempts.textContent(), /500/)
  t.match(await detail.textContent(), /next attempt in 5s/, 'the retry is due on the emulator clock')
  await noSeriousViolations(t, page, 'webhooks with a failed delivery open')

  await detail.getByRole('button', { name: 'Resend' }).click()
  await detail.locator('.badge', { hasText: 'delivered' }).waitFor()
  await attempts.getByText('thanks').waitFor()
  await page.locator('.rows .row', { hasText: 'delivered' }).waitFor()
  const { deliveries } = (await h.app.inject({ url: `/__mock/webhooks/deliveries?task=${taskId}` })).json() as { deliveries: Delivery[] }
  t.match(deliveries, [{ event: 'task.completed', status: 'delivered', attempts: [{ kind: 'scheduled', status: 500 }, { kind: 'resend', status: 200 }] }], 'the API answers what the page shows')
  t.equal(receiver.received.length, 2)
  t.equal(receiver.received[1]?.headers['tripo-webhook-delivery'], receiver.received[0]?.headers['tripo-webhook-delivery'], 'the same delivery, sent again')
  await page.waitForURL((url) => url.hash.includes(`delivery=${deliveries[0]?.id as string}`))

  // Both attempts are in the Requests view too, filtered by their surface; copied as curl, they go to the receiver.
  await page.goto(`${url}/__mock/ui/#/requests?surface=webhooks`)
  await page.locator('.rows .row').nth(1).waitFor()
  t.equal(await page.getByLabel('Surface').inputValue(), 'webhooks')
  await page.locator('.rows .row').first().click()
  const request = page.getByRole('complementary', { name: 'Request detail' })
  await request.getByText('tripo-webhook-delivery').waitFor()
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  await request.getByRole('button', { name: 'Copy as curl' }).click()
  await request.getByText('Copied').waitFor()
  t.match(await page.evaluate('navigator.clipboard.readText()'), `curl -X POST '${receiver.url}/hooks'`, 'the receiver\'s URL, not the emulator\'s')
  t.same(errors, [], 'no console error')
})

t.test('filters live in the URL; endpoints disabled, enabled, removed once confirmed; events triggered from the page and from a task', async (t) => {
  const receiver = await startReceiver(t)
  const h = await harness(t, { durations })
  const url = await h.listen()
  const added = await h.app.inject({ method: 'POST', url: '/__mock/webhooks/endpoints', headers: { 'x-tripo-mock-key': KEY }, payload: { url: `${receiver.url}/mine` } })
  const endpointId = (added.json() as { id: string }).id
  const taskId = await h.finishedTask({ type: 'text_to_model', prompt: 'a teapot' })
  await receiver.request(1)
  const keyId = keyIdOf(KEY)

  const { page, errors } = await openPage(t, browser, `${url}/__mock/ui/#/webhooks?key=${keyId}`)
  await live(page)
  await page.locator('.rows .row', { hasText: 'delivered' }).waitFor()
  const filters = page.getByRole('form', { name: 'Filters' })
  await filters.getByLabel('Event').selectOption('task.failed')
  await page.getByText('No delivery matches yet.').waitFor()
  await filters.getByLabel('Event').selectOption('task.completed')
  await filters.getByLabel('Status').selectOption('delivered')
  await page.waitForURL((url) => url.hash.includes('status=delivered') && url.hash.includes('event=task.completed'))
  await page.reload()
  await page.locator('.rows .row', { hasText: 'delivered' }).waitFor()
  t.equal(await filters.getByLabel('Status').inputValue(), 'delivered', 'the reloaded link keeps its filters')
  t.equal(await filters.getByLabel('Event').inputValue(), 'task.completed')
  t.equal(await page.locator('#webhooks-key').inputValue(), keyId)
  t.match(await page.getByRole('row', { name: new RegExp(`${receiver.url}/mine`) }).textContent(), /tsk_test…0001/, 'the key\'s endpoint')

  // Triggered from the page: the task's other event.
  const trigger = page.getByRole('form', { name: 'Trigger an event' })
  const openTrigger = () => page.locator('summary', { hasText: 'Trigger an event' }).click()
  await openTrigger()
  await trigger.getByLabel('Task id').fill(taskId)
  await trigger.getByLabel('Event').selectOption('task.failed')
  await trigger.getByRole('button', { name: 'Trigger' }).click()
  await page.getByRole('status').filter({ hasText: 'task.failed made 1 delivery' }).waitFor()
  t.equal((await receiver.request(2)).headers['tripo-webhook-event'], 'task.failed')

  // Disabled and enabled again.
  const endpointRow = page.getByRole('row', { name: new RegExp(`${receiver.url}/mine`) })
  await endpointRow.getByRole('button', { name: 'Disable' }).click()
  await endpointRow.locator('.badge.warn', { hasText: 'disabled' }).waitFor()
  t.match((await h.app.inject({ url: `/__mock/webhooks/endpoints/${endpointId}` })).json(), { enabled: false, disabledBy: 'control' })
  await endpointRow.getByRole('button', { name: 'Enable' }).click()
  await endpointRow.locator('.badge.good', { hasText: 'enabled' }).waitFor()
  t.match((await h.app.inject({ url: `/__mock/webhooks/endpoints/${endpointId}` })).json(), { enabled: true })

  // Sent from the task's detail, then its deliveries through the task's link.
  await page.goto(`${url}/__mock/ui/#/tasks?task=${taskId}`)
  const taskDetail = page.getByRole('complementary', { name: 'Task detail' })
  await taskDetail.getByRole('button', { name: 'Send webhook' }).click()
  await page.getByRole('status').filter({ hasText: 'Webhook sent: 1 delivery' }).waitFor()
  t.equal((await receiver.request(3)).json['type'], 'task.completed')
  await taskDetail.getByRole('link', { name: 'its webhook deliveries' }).click()
  await page.locator('.rows .row').nth(2).waitFor()
  t.equal(await filters.getByLabel('Task', { exact: true }).inputValue(), taskId, 'the task\'s deliveries')

  // No answer at all: shown as such, in the view's colours.
  await receiver.close()
  await openTrigger()
  await trigger.getByLabel('Task id').fill(taskId)
  await trigger.getByRole('button', { name: 'Trigger' }).click()
  const refused = page.locator('.rows .row', { hasText: 'no answer' })
  await refused.click()
  const detail = page.getByRole('complementary', { name: 'Delivery detail' })
  await detail.locator('.badge.bad', { hasText: 'no answer' }).waitFor()
  t.match(await detail.locator('.problem-text').textContent(), /\S/, 'the error')

  // Removed once confirmed.
  const remove = endpointRow.getByRole('button', { name: /^Remove ep_/ })
  await remove.click()
  const dialog = page.getByRole('dialog')
  await dialog.getByText(`Remove the endpoint ${receiver.url}/mine?`).waitFor()
  await noSeriousViolations(t, page, 'webhooks, confirming a removal')
  await dialog.getByRole('button', { name: 'Keep' }).click()
  t.equal((await h.app.inject({ url: `/__mock/webhooks/endpoints/${endpointId}` })).statusCode, 200, 'kept when not confirmed')
  await remove.click()
  await dialog.getByRole('button', { name: /^Remove ep_/ }).click()
  await page.getByText('No endpoint yet').waitFor()
  t.equal((await h.app.inject({ url: `/__mock/webhooks/endpoints/${endpointId}` })).statusCode, 404, 'removed')
  await noSeriousViolations(t, page, 'webhooks')
  t.same(errors, [], 'no console error')
})

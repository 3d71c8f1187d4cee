/**
 * The dashboard in a real headless Chromium, against an emulator on the manual clock: each view's
 * main flow, seen from the page and checked through the API; deep links; the token; a proxy's base
 * path; no console error; and axe-core's accessibility check on every view. Waits are on page
 * conditions, never on the wall clock. Needs `npm run build` first (npm test does).
 */
import { readFileSync } from 'node:fs'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { keyIdOf } from '../../src/control/common.ts'
import { launchBrowser, openPage, seriousViolations } from '../fixtures/browser.ts'
import { bearer, harness, type Harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'

// A browser on a busy two-core machine.
t.setTimeout(240_000)

const browser = await launchBrowser(t)
const durations = { text_to_model: { queuedMs: 1000, runningMs: 10_000 } }

async function dashboard (t: Test, config: Parameters<typeof harness>[1] = {}, hash = '') {
  const h = await harness(t, { durations, ...config })
  const url = await h.listen()
  const opened = await openPage(t, browser, `${url}/__mock/ui/${hash}`)
  return { h, url, ...opened }
}

/** The page's stream is up: what the emulator does from now on reaches it. */
async function live (page: Page): Promise<void> {
  await page.locator('.top .stream.live').waitFor()
}

/** Exactly one row shows (waits on locators: the page's CSP rightly refuses string predicates). */
async function oneRow (page: Page): Promise<void> {
  await page.locator('.rows .row').first().waitFor()
  await page.locator('.rows .row').nth(1).waitFor({ state: 'detached' })
}

const traceOf = (response: { headers: Record<string, unknown> }): string => String(response.headers['x-tripo-trace-id'])

async function noSeriousViolations (t: Test, page: Page, view: string): Promise<void> {
  t.same(await seriousViolations(page), [], `${view}: no serious or critical accessibility violation`)
}

t.test('requests: live, filtered by trace id from the page, one in full, copied as curl', async (t) => {
  const { h, page, context, errors } = await dashboard(t)
  await live(page)
  const created = await h.createTask({ type: 'text_to_model', prompt: 'a red teapot' })
  await h.getTask('missing')
  await h.balance(OTHER_KEY)
  const rows = page.locator('.rows .row')
  await t.resolves(rows.nth(2).waitFor(), 'three requests arrive live')

  await page.getByLabel('Trace id').fill(traceOf(created))
  await page.getByLabel('Trace id').press('Enter')
  await page.waitForURL((url) => url.hash.includes(`traceId=${traceOf(created)}`))
  await oneRow(page)
  t.match(await rows.first().textContent(), /POST \/v2\/openapi\/task/)

  await rows.first().click()
  const detail = page.getByRole('complementary', { name: 'Request detail' })
  await detail.getByText('a red teapot').waitFor()
  const shown = await detail.textContent() ?? ''
  t.match(shown, 'authorization: Bearer tsk_test…0001', 'the key masked')
  t.notOk(shown.includes(KEY), 'never the key in full')
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  await detail.getByRole('button', { name: 'Copy as curl' }).click()
  await detail.getByText('Copied').waitFor()
  const curl = await page.evaluate('navigator.clipboard.readText()') as string
  t.match(curl, /^curl -X POST 'http:\/\/127\.0\.0\.1:\d+\/v2\/openapi\/task' .*-H "authorization: Bearer \$TRIPO_API_KEY" .*--data-raw '\{"type":"text_to_model","prompt":"a red teapot"\}'$/)

  await noSeriousViolations(t, page, 'requests with a request open')
  t.same(errors, [], 'no console error')
})

t.test('a deep link opens one key\'s failed requests with one of them in full', async (t) => {
  const h = await harness(t, { durations })
  const url = await h.listen()
  await h.balance()
  const missing = await h.getTask('missing')
  await h.getTask('missing', OTHER_KEY)
  const { page, errors } = await openPage(t, browser, `${url}/__mock/ui/#/requests?key=${keyIdOf(KEY)}&status=404&selected=${traceOf(missing)}`)
  await oneRow(page)
  await page.getByRole('complementary', { name: 'Request detail' }).getByText('/v2/openapi/task/missing').first().waitFor()
  t.equal(await page.getByLabel('Status').inputValue(), '404', 'the filter shows what the link says')
  t.equal(await page.locator('#filter-key').inputValue(), keyIdOf(KEY))
  t.same(errors, [])
})

t.test('tasks: created through the API they appear live, move with the clock; failed from the page, the API answers it', async (t) => {
  const { h, page, errors } = await dashboard(t, {}, '#/tasks')
  await page.locator('h1', { hasText: 'Tasks' }).waitFor()
  await page.locator('.view-head .stream.live').waitFor()
  const first = await h.newTask({ type: 'text_to_model', prompt: 'one' })
  const second = await h.newTask({ type: 'text_to_model', prompt: 'two' }, OTHER_KEY)
  const rows = page.locator('.rows .row')
  await rows.nth(1).waitFor()
  t.match(await rows.nth(0).textContent(), /queued/)
  h.clock.advance(3000)
  await page.locator('.rows .row', { hasText: 'running' }).nth(1).waitFor()

  await page.locator('.rows .row', { hasText: first.slice(0, 8) }).click()
  const detail = page.getByRole('complementary', { name: 'Task detail' })
  await detail.getByText(first).waitFor()
  await detail.getByLabel('Error code').selectOption('2008')
  await detail.getByRole('button', { name: 'Fail it' }).click()
  await detail.locator('.badge', { hasText: 'failed' }).waitFor()
  const read = (await h.getTask(first)).json() as { data: { status: string, error_code: number } }
  t.match(read.data, { status: 'failed', error_code: 2008 }, 'the API answers what the page did')
  await page.waitForURL((url) => url.hash.includes(`task=${first}`))

  await page.locator('.rows .row', { hasText: second.slice(0, 8) }).click()
  await detail.getByText(second).waitFor()
  await detail.getByRole('button', { name: 'Cancel' }).click()
  await detail.locator('.badge', { hasText: 'cancelled' }).waitFor()
  t.match(((await h.getTask(second, OTHER_KEY)).json() as { data: { status: string } }).data, { status: 'cancelled' })
  await noSeriousViolations(t, page, 'tasks with a task open')
  t.same(errors, [])
})

t.test('a task\'s outputs open, and its model shows in 3D in the page', async (t) => {
  const h = await harness(t, { durations })
  const url = await h.listen()
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a lamp' })
  const { page, errors } = await openPage(t, browser, `${url}/__mock/ui/#/tasks?key=${keyIdOf(KEY)}&task=${id}`)
  const detail = page.getByRole('complementary', { name: 'Task detail' })
  const link = detail.getByRole('link', { name: 'pbr_model' })
  await link.waitFor()
  const href = await link.getAttribute('href') as string
  t.equal((await h.app.inject({ url: new URL(href).pathname + new URL(href).search })).statusCode, 200, 'the link downloads')
  await detail.getByRole('button', { name: 'Preview in 3D' }).first().click()
  await detail.locator('.canvas-host[data-rendered="true"] canvas').waitFor()
  await detail.getByText('Drag to turn the model').waitFor()
  t.same(errors, [])
})

t.test('scenarios: switched from the page, the next API call obeys; an ad-hoc one with the validator\'s message in place', async (t) => {
  const { h, page, errors } = await dashboard(t, {}, '#/scenarios')
  const toggle = page.getByRole('switch', { name: 'error-1001 for every key' })
  await toggle.waitFor()
  await toggle.check()
  await page.getByRole('status').filter({ hasText: 'error-1001 on for every key' }).waitFor()
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'x' })).json().code, 1001, 'the API obeys')
  await toggle.uncheck()
  await page.getByRole('status').filter({ hasText: 'error-1001 off' }).waitFor()
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'x' })).statusCode, 200)

  // For one key: the key picker, then its switch.
  await page.getByLabel('Switch for a key too').selectOption(keyIdOf(KEY))
  await page.getByRole('switch', { name: 'error-2010 for tsk_test…0001' }).check()
  await page.getByRole('status').filter({ hasText: 'error-2010 on for tsk_test…0001' }).waitFor()
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'x' })).json().code, 2010)
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'x' }, OTHER_KEY)).statusCode, 200, 'other keys are untouched')

  const editor = page.getByLabel('Scenario (YAML)')
  await editor.fill('name: broken-demo\ndescription: x\nrules:\n  - match: { operation: createTask }\n    effect: { error: NOPE }\n')
  const message = page.locator('#editor-message')
  await message.filter({ hasText: 'Line 5: ad-hoc scenario "broken-demo": rules[0].effect.error: unknown error "NOPE"' }).waitFor()
  t.equal(await page.locator('.gutter li.flagged').textContent(), '5', 'the line is flagged')
  t.ok(await page.getByRole('button', { name: 'Add scenario' }).isDisabled())
  await editor.fill('name: broken-demo\ndescription: x\nrules:\n  - match: { operation: createTask }\n    effect: { error: CONTENT_POLICY }\n')
  await message.filter({ hasText: 'Valid.' }).waitFor()
  await page.getByRole('button', { name: 'Add scenario' }).click()
  await page.getByRole('switch', { name: 'broken-demo for every key' }).waitFor()
  t.equal(h.services.scenarios.get('broken-demo')?.origin, 'adhoc')
  await noSeriousViolations(t, page, 'scenarios')
  t.same(errors, [])
})

t.test('clock: advanced by a chosen step, switched to real and back', async (t) => {
  const { h, page, errors } = await dashboard(t, {}, '#/clock')
  const before = h.clock.now()
  await page.getByRole('button', { name: '+1m' }).click()
  await page.getByRole('status').filter({ hasText: 'Advanced 1m' }).waitFor()
  t.equal(h.clock.now(), before + 60_000)
  await page.getByLabel('By', { exact: true }).fill('1h30m')
  await page.getByRole('button', { name: 'Advance', exact: true }).click()
  await page.getByRole('status').filter({ hasText: 'Advanced 1h30m' }).waitFor()
  t.equal(h.clock.now(), before + 60_000 + 5_400_000)
  await page.locator('.clock-now', { hasText: new Date(before + 5_460_000).toISOString().slice(11, 16) }).waitFor()
  await page.getByRole('button', { name: 'Real' }).click()
  await page.getByRole('button', { name: 'Real', pressed: true }).waitFor()
  t.equal(h.clock.state().mode, 'real')
  await page.getByRole('button', { name: 'Manual' }).click()
  await page.getByRole('button', { name: 'Manual', pressed: true }).waitFor()
  await noSeriousViolations(t, page, 'clock')
  t.same(errors, [])
})

t.test('keys: credits set from the page are what the API answers', async (t) => {
  const h = await harness(t, { durations })
  await h.balance()
  const url = await h.listen()
  const { page, errors } = await openPage(t, browser, `${url}/__mock/ui/#/keys`)
  await page.getByLabel('New balance of tsk_test…0001').fill('42')
  await page.getByRole('row', { name: /tsk_test…0001/ }).getByRole('button', { name: 'Set' }).click()
  await page.getByRole('row', { name: /tsk_test…0001/ }).getByRole('cell', { name: '42', exact: true }).waitFor()
  t.same(await h.balance(), { balance: 42, frozen: 0 })
  await page.getByLabel('API key').fill('tsk_typed_in_the_page_00')
  await page.locator('input[name="balance"]').fill('7')
  await page.getByRole('button', { name: 'Set credits' }).click()
  await page.getByRole('row', { name: /tsk_type…e_00/ }).waitFor()
  t.same(await h.balance('tsk_typed_in_the_page_00'), { balance: 7, frozen: 0 }, 'a key typed in')
  await noSeriousViolations(t, page, 'keys')
  t.same(errors, [])
})

t.test('state: reset one key, then everything, each once confirmed', async (t) => {
  const h = await harness(t, { durations })
  const mine = await h.newTask({ type: 'text_to_model', prompt: 'x' })
  const theirs = await h.newTask({ type: 'text_to_model', prompt: 'y' }, OTHER_KEY)
  const url = await h.listen()
  const { page, errors } = await openPage(t, browser, `${url}/__mock/ui/#/state`)
  await page.getByLabel('Key to reset').selectOption(keyIdOf(KEY))
  await page.getByRole('button', { name: 'Reset tsk_test…0001' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByText('Forget everything of tsk_test…0001?').waitFor()
  await noSeriousViolations(t, page, 'state, confirming')
  await dialog.getByRole('button', { name: 'Keep' }).click()
  t.equal((await h.getTask(mine)).statusCode, 200, 'kept when not confirmed')
  await page.getByRole('button', { name: 'Reset tsk_test…0001' }).click()
  await dialog.getByRole('button', { name: 'Reset tsk_test…0001' }).click()
  await page.getByRole('status').filter({ hasText: 'tsk_test…0001 reset' }).waitFor()
  t.equal((await h.getTask(mine)).statusCode, 404, 'forgotten')
  t.equal((await h.getTask(theirs, OTHER_KEY)).statusCode, 200, 'the other key is untouched')

  await page.getByRole('button', { name: 'Reset everything' }).click()
  await dialog.getByRole('button', { name: 'Reset everything' }).click()
  await page.getByRole('status').filter({ hasText: 'Everything reset' }).waitFor()
  t.equal((await h.getTask(theirs, OTHER_KEY)).statusCode, 404)
  await noSeriousViolations(t, page, 'state')
  t.same(errors, [])
})

t.test('state: a snapshot downloaded, then imported back once confirmed; a bad one refused in place', async (t) => {
  const h = await harness(t, { durations })
  const mine = await h.newTask({ type: 'text_to_model', prompt: 'kept in a snapshot' })
  const url = await h.listen()
  const { page, errors } = await openPage(t, browser, `${url}/__mock/ui/#/state`)
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download snapshot' }).click()])
  t.equal(download.suggestedFilename(), 'tripo-mock-state.json')
  const snapshot = JSON.parse(readFileSync(await download.path(), 'utf8')) as { format: string, tenants: Array<{ key: string, tasks: Array<{ id: string }> }> }
  t.match(snapshot, { format: 'tripo-mock/state', tenants: [{ key: KEY, tasks: [{ id: mine }] }] }, 'the whole state, as GET /__mock/state answers')
  await page.getByRole('status').filter({ hasText: 'Snapshot downloaded' }).waitFor()

  await h.app.inject({ method: 'POST', url: '/__mock/reset' })
  t.equal((await h.getTask(mine)).statusCode, 404)
  await page.getByLabel('Snapshot file').setInputFiles({ name: 'saved.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(snapshot)) })
  await page.getByRole('button', { name: 'Import saved.json' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByText('Replace the whole state by this snapshot?').waitFor()
  await noSeriousViolations(t, page, 'state, importing')
  await dialog.getByRole('button', { name: 'Import saved.json' }).click()
  await page.getByRole('status').filter({ hasText: 'Snapshot imported: 1 tasks' }).waitFor()
  t.equal((await h.getTask(mine)).statusCode, 200, 'the task is back')

  await page.getByLabel('Snapshot file').setInputFiles({ name: 'newer.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...snapshot, version: 2 })) })
  await page.getByRole('button', { name: 'Import newer.json' }).click()
  await dialog.getByRole('button', { name: 'Import newer.json' }).click()
  await dialog.getByRole('alert').filter({ hasText: 'version: 2 is newer than this tripo-mock reads' }).waitFor()
  await dialog.getByRole('button', { name: 'Keep' }).click()
  await page.getByLabel('Snapshot file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a snapshot') })
  await page.getByRole('alert').filter({ hasText: 'notes.txt is not JSON' }).waitFor()
  t.equal((await h.getTask(mine)).statusCode, 200, 'nothing changed')
  await noSeriousViolations(t, page, 'state')
  t.same(errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)'], 'only the refused import')
})

t.test('the token: asked for when the control plane wants one, kept for the session', async (t) => {
  const { h, page, errors } = await dashboard(t, { controlToken: 'sesame' })
  await page.getByRole('alert').filter({ hasText: 'wants its control token' }).waitFor()
  t.equal(await page.evaluate('document.activeElement === document.querySelector(".token input")'), true, 'the token field has the focus')
  await page.getByLabel('Control token').fill('sesame')
  await page.getByRole('button', { name: 'Use', exact: true }).click()
  await live(page)
  await h.balance()
  await page.locator('.rows .row').first().waitFor()
  t.equal(await page.evaluate('sessionStorage.getItem("tripo-mock-control-token")'), 'sesame')
  await page.reload()
  await live(page)
  t.equal(await page.locator('.rows .row').count(), 1, 'still allowed after a reload')
  t.ok(errors.length > 0 && errors.every((error) => error.includes('401')), 'only the refusals before the token')
})

t.test('under a proxy\'s base path, every call stays under it', async (t) => {
  const h = await harness(t, { durations })
  const target = new URL(await h.listen())
  const proxied: string[] = []
  const proxy = createServer((incoming, outgoing) => {
    if (!incoming.url?.startsWith('/base/')) {
      outgoing.writeHead(404).end()
      return
    }
    proxied.push(incoming.url)
    const forward = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url.slice('/base'.length), headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outgoing)
    })
    incoming.pipe(forward)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { proxy.closeAllConnections(); proxy.close() })
  const { port } = proxy.address() as AddressInfo
  const { page, errors } = await openPage(t, browser, `http://127.0.0.1:${port}/base/__mock/ui`)
  await live(page)
  await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer() })
  await page.locator('.rows .row').first().waitFor()
  t.ok(proxied.includes('/base/__mock/ui/'), 'the redirect kept the base path')
  t.ok(proxied.some((url) => url.startsWith('/base/__mock/events')), 'the stream went through the proxy')
  t.ok(proxied.some((url) => url.startsWith('/base/__mock/journal')), 'so did the reads')
  t.same(errors, [])
})

export type { Harness }

/**
 * `/__mock/state`: export the whole state (or one key's) as a versioned snapshot, import one, all or
 * nothing. A snapshot carried to another emulator serves the same tasks, credits, files and
 * scenario bindings; it resumes where it was taken; a bad or foreign document changes nothing.
 */
import { randomBytes } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { control } from '../fixtures/control.ts'
import { GLB, PNG } from '../fixtures/files.ts'
import { bearer, type Harness, harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'
import { buildWorld, MODEL, v3Upload } from '../fixtures/state-world.ts'

type Document = Record<string, any>

const HOUR = 3_600_000

async function exported (h: Harness, key?: string): Promise<Document> {
  const response = await control(h)('GET', '/state', key === undefined ? {} : { key })
  if (response.statusCode !== 200) throw new Error(`export failed: ${response.body}`)
  return response.json()
}

/** A document without the wall time it was written at (the one field two exports always differ in). */
function timeless (document: Document): Document {
  const { writtenAt: _writtenAt, ...rest } = document
  return rest
}

async function imported (h: Harness, document: unknown, key?: string): Promise<LightMyRequestResponse> {
  return control(h)('PUT', '/state', { body: document, ...(key === undefined ? {} : { key }) })
}

/** What the emulated API answers about a world: every task on its surface and the other, credits, usage. */
async function apiView (h: Harness, tasks: Readonly<Record<string, string>>) {
  const view: Record<string, unknown> = {}
  for (const [name, id] of Object.entries(tasks)) {
    const key = name === 'otherKey' ? OTHER_KEY : KEY
    view[`${name} v2`] = (await h.app.inject({ url: `/v2/openapi/task/${id}`, headers: bearer(key) })).json()
    view[`${name} v3`] = (await h.app.inject({ url: `/v3/tasks/${id}`, headers: bearer(key) })).json().data
  }
  for (const key of [KEY, OTHER_KEY]) {
    view[`${key} balance v2`] = (await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer(key) })).json()
    view[`${key} balance v3`] = (await h.app.inject({ url: '/v3/account/balance', headers: bearer(key) })).json().data
  }
  return view
}

const sameSecret = randomBytes(32)

t.test('export, import, export again: the same document; another emulator serves the same world', async (t) => {
  const h = await harness(t, {}, { urlSecret: sameSecret })
  const world = await buildWorld(h)
  const document = await exported(h)
  t.match(document, { format: 'tripo-mock/state', version: 1, emulatorVersion: /^\d+\.\d+\.\d+/, clock: { mode: 'manual', speed: 1, now: h.clock.now() } })
  t.match(document['writtenAt'], /^\d{4}-\d\d-\d\dT/)
  t.same(document['tenants'].map((tenant: Document) => [tenant.key, tenant.tasks.length]), [[KEY, 16], [OTHER_KEY, 1]])
  t.same(Object.keys(document['files']).map((kind) => document['files'][kind].length), [4, 1, 2], 'uploads (V2 image tokens, V3 file tokens), credentials, objects (STS, V3 model)')
  t.same(document['scenarios'].global, ['never-fires'])
  t.same(document['scenarios'].keys, { [OTHER_KEY]: ['first-create-refused'] })
  t.same(document['scenarios'].adhoc.map((scenario: Document) => scenario.name), ['slow-downloads', 'first-create-refused', 'never-fires'])
  t.ok(document['scenarios'].counters.some((counter: Document) => counter.key === KEY && counter.rule === 'slow-downloads/lognormal' && counter.fired === 1), 'rule counters')
  const stalled = document['tenants'][0].tasks.find((task: Document) => task.id === world.tasks['v2StallsRunning'])
  t.same([stalled.timeline.endAt, stalled.fate], [null, { status: 'success', stall: 'running' }], 'never is null')
  const lognormal = document['tenants'][0].tasks.find((task: Document) => task.id === world.tasks['v3Lognormal'])
  t.same(lognormal.delivery.downloads.latency, { kind: 'lognormal', median: 1000, sigma: 0.5, max: null })
  t.notOk('input' in document['tenants'][0].tasks[0], 'a V2 task\'s echo is its parameters: not written twice')
  t.ok('input' in lognormal, 'a V3 task\'s echo is written')

  const before = await apiView(h, world.tasks)
  const again = await imported(h, document)
  t.equal(again.statusCode, 200, again.body)
  t.same(again.json(), {
    scope: 'all',
    shiftedMs: 0,
    parts: {
      tenants: { tenants: 2, tasks: 17 },
      files: { uploads: 4, credentials: 1, objects: 2, objectBytes: 2 * GLB.length },
      scenarios: { adhoc: 3, global: 1, keys: 1, counters: document['scenarios'].counters.length },
      webhooks: { endpoints: 0, deliveries: 0, waiting: 0 }
    }
  })
  t.same(timeless(await exported(h)), timeless(document), 'the same document again')

  // Another emulator, at the same instant and with the same URL secret, answers the same.
  const other = await harness(t, {}, { urlSecret: sameSecret })
  other.clock.set(h.clock.now())
  t.equal((await imported(other, JSON.parse(JSON.stringify(document)))).statusCode, 200)
  t.same(await apiView(other, world.tasks), before, 'the same tasks (V2 and V3), credits and balances')
  t.same(timeless(await exported(other)), timeless(document))

  // Files: tokens and objects still resolve for their key; the imported model is served back.
  const withToken = await other.createTask({ type: 'image_to_model', file: { type: 'png', file_token: world.v2Token } })
  t.equal(withToken.json().code, 0, 'the V2 image token')
  const withObject = await other.createTask({ type: 'import_model', file: { object: world.object } })
  t.equal(withObject.json().code, 0, 'the STS object')
  const fromFile = await other.app.inject({ method: 'POST', url: '/v3/generation/image-to-model', headers: bearer(), payload: { input: world.v3Image, model: MODEL } })
  t.equal(fromFile.statusCode, 200, 'the V3 file token')
  const model = (before['v3Import v3'] as { output: { model_url: string } }).output.model_url
  const download = await other.app.inject({ url: model.replace(/^http:\/\/[^/]+/, '') })
  t.equal(download.statusCode, 200)
  t.ok(download.rawPayload.equals(GLB), 'the uploaded model\'s bytes')

  // Scenarios: the binding holds, its `once` rule stays spent, the global one stays active.
  const second = await other.createTask({ type: 'text_to_image', prompt: 'a fish' }, OTHER_KEY)
  t.equal(second.json().code, 0, 'the once rule fired before the export: it does not fire again')
  t.match((await control(other)('GET', '/scenarios/never-fires')).json(), { activeGlobally: true, origin: 'adhoc' })
})

t.test('a snapshot resumes where it was taken: its instants move to the importing emulator\'s now', async (t) => {
  const h = await harness(t)
  const world = await buildWorld(h)
  const running = (await h.getTask(world.tasks['v2Running'] as string)).json().data
  const queued = (await h.app.inject({ url: `/v3/tasks/${world.tasks['v3Queued'] as string}`, headers: bearer() })).json().data
  const document = await exported(h)

  const later = await harness(t)
  later.clock.advance(30 * 24 * HOUR)
  const done = await imported(later, document)
  t.equal(done.json().shiftedMs, later.clock.now() - h.clock.now())
  const resumed = (await later.getTask(world.tasks['v2Running'] as string)).json().data
  t.match(resumed, { status: 'running', progress: running.progress, running_left_time: running.running_left_time })
  t.equal(resumed.create_time, running.create_time + (later.clock.now() - h.clock.now()) / 1000, 'created as long ago as it was')
  t.match((await later.app.inject({ url: `/v3/tasks/${world.tasks['v3Queued'] as string}`, headers: bearer() })).json().data, { status: 'queued', queuing_num: queued.queuing_num })
  t.equal((await later.createTask({ type: 'image_to_model', file: { type: 'png', file_token: world.v2Token } })).json().code, 0, 'a day-long upload token still lives')
  later.clock.advance(10 * 60_000)
  t.equal((await later.getTask(world.tasks['v2Running'] as string)).json().data.status, 'success', 'and it goes on from there')

  // A snapshot from the future moves back: nothing runs ahead.
  const earlier = await harness(t)
  const future: Document = { ...document, clock: { ...document['clock'], now: document['clock'].now + 365 * 24 * HOUR } }
  for (const tenant of future['tenants']) for (const task of tenant.tasks) for (const field of ['createdAt', 'startAt', 'endAt']) if (task.timeline[field] !== null) task.timeline[field] += 365 * 24 * HOUR
  t.equal((await imported(earlier, future)).statusCode, 200)
  t.match((await earlier.getTask(world.tasks['v2Running'] as string)).json().data, { status: 'running', progress: running.progress })
})

t.test('a whole import takes the snapshot\'s clock mode and speed; a one-key import leaves the clock alone', async (t) => {
  const h = await harness(t)
  await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  const document = await exported(h)
  const other = await harness(t)
  const now = other.clock.now()
  t.equal((await imported(other, { ...document, clock: { mode: 'manual', speed: 4, now: document['clock'].now } })).statusCode, 200)
  t.match((await control(other)('GET', '/clock')).json(), { mode: 'manual', speed: 4, nowMs: now }, 'the speed is the snapshot\'s, the time is still now')
  const mine = await exported(h, KEY)
  t.equal((await imported(other, { ...mine, clock: { mode: 'real', speed: 9, now: mine['clock'].now } }, KEY)).statusCode, 200)
  t.match((await control(other)('GET', '/clock')).json(), { mode: 'manual', speed: 4, nowMs: now })
})

t.test('one key: export and import that key\'s state alone; every other key is untouched', async (t) => {
  const h = await harness(t)
  const world = await buildWorld(h)
  const mine = await exported(h, OTHER_KEY)
  t.equal(mine['key'], OTHER_KEY)
  t.same(mine['tenants'].map((tenant: Document) => tenant.key), [OTHER_KEY])
  t.same(mine['files'].uploads.map((upload: Document) => upload.owner), [OTHER_KEY])
  t.same([mine['files'].credentials, mine['files'].objects], [[], []])
  t.same(mine['scenarios'], { adhoc: [], global: [], keys: { [OTHER_KEY]: ['first-create-refused'] }, counters: mine['scenarios'].counters })
  t.ok(mine['scenarios'].counters.length > 0 && mine['scenarios'].counters.every((counter: Document) => counter.key === OTHER_KEY))
  t.same((await exported(h, 'tsk_never_seen'))['tenants'], [], 'a key never seen has nothing')
  t.same((await exported(h, 'tsk_never_seen'))['scenarios'].keys, {})

  // Into another emulator where both keys already have tasks: only OTHER_KEY's are replaced.
  const other = await harness(t)
  await buildWorld(other)
  const keptOfKey = (await exported(other, KEY))['tenants']
  const before = timeless(await exported(other, KEY))
  const done = await imported(other, mine, OTHER_KEY)
  t.equal(done.statusCode, 200, done.body)
  t.same(done.json(), { shiftedMs: 0, scope: 'tenant', key: 'tsk_test…0002', parts: { tenants: { tenants: 1, tasks: 1 }, files: { uploads: 1, credentials: 0, objects: 0, objectBytes: 0 }, scenarios: { keys: 1, counters: mine['scenarios'].counters.length }, webhooks: { endpoints: 0, deliveries: 0, waiting: 0 } } })
  t.same(timeless(await exported(other, KEY)), before, 'the other key is untouched')
  t.same((await exported(other, KEY))['tenants'], keptOfKey)
  t.same((await control(other)('GET', '/tasks', { key: OTHER_KEY })).json().tasks.map((task: Document) => task.taskId), [world.tasks['otherKey']], 'the key\'s own tasks were replaced')
  t.same(timeless(await exported(other, OTHER_KEY)), timeless(mine))

  // A key with nothing: importing its empty snapshot forgets it.
  const empty = await exported(h, 'tsk_never_seen')
  t.match((await imported(other, { ...empty, key: OTHER_KEY }, OTHER_KEY)).json(), { parts: { tenants: { tenants: 0, tasks: 0 }, files: { uploads: 0 }, scenarios: { keys: 0, counters: 0 } } })
  t.equal((await other.getTask(world.tasks['otherKey'] as string, OTHER_KEY)).json().code, 2001)
})

t.test('a section a snapshot does not have is empty (a snapshot from before a part existed)', async (t) => {
  const h = await harness(t)
  await buildWorld(h)
  const { files: _files, scenarios: _scenarios, tenants: _tenants, ...bare } = await exported(h)
  t.match((await imported(h, bare)).json(), { parts: { tenants: { tenants: 0, tasks: 0 }, files: { uploads: 0, credentials: 0, objects: 0, objectBytes: 0 }, scenarios: { adhoc: 0, global: 0, keys: 0, counters: 0 } } })
  t.equal(h.services.files.held.objectBytes, 0)
  const mine = await exported(h, KEY)
  t.equal((await imported(h, { format: mine['format'], version: 1, key: KEY, clock: mine['clock'] }, KEY)).statusCode, 200, 'the envelope alone: writtenAt and emulatorVersion are informative')
})

async function refuses (t: Test, h: Harness, document: unknown, detail: RegExp | string, key?: string): Promise<void> {
  const before = timeless(await exported(h))
  const response = await imported(h, document, key)
  t.equal(response.statusCode, 400, String(detail))
  t.match(response.json(), { code: 9400, detail })
  t.same(timeless(await exported(h)), before, 'nothing changed')
}

/** A copy of a document with one change. */
function changed (document: Document, change: (copy: Document) => void): Document {
  const copy = structuredClone(document)
  change(copy)
  return copy
}

t.test('a bad document is refused with the field named, and changes nothing', async (t) => {
  const h = await harness(t)
  const world = await buildWorld(h)
  const good = await exported(h)
  const task = (copy: Document, index = 0) => copy['tenants'][0].tasks[index]

  await refuses(t, h, [good], 'the snapshot must be a JSON object')
  await refuses(t, h, changed(good, (copy) => { delete copy['format'] }), 'format: must be "tripo-mock/state" (got nothing)')
  await refuses(t, h, changed(good, (copy) => { copy['format'] = 'localstack' }), 'format: must be "tripo-mock/state" (got "localstack")')
  await refuses(t, h, changed(good, (copy) => { copy['version'] = 2 }), 'version: 2 is newer than this tripo-mock reads; this tripo-mock reads version 1 (use a newer tripo-mock)')
  await refuses(t, h, changed(good, (copy) => { copy['version'] = 0 }), 'version: 0 is not a version of the format; this tripo-mock reads version 1')
  await refuses(t, h, changed(good, (copy) => { copy['version'] = '1' }), 'version: "1" is not a version of the format')
  await refuses(t, h, changed(good, (copy) => { delete copy['version'] }), 'version: nothing is not a version of the format')
  // A section this emulator has no part for (a newer emulator's): refused, rather than dropped.
  await refuses(t, h, changed(good, (copy) => { copy['holograms'] = [] }), 'unknown field "holograms"')
  await refuses(t, h, changed(good, (copy) => { task(copy).timeline.endAt = 'soon' }), 'tenants[0].tasks[0].timeline.endAt: must be an instant (epoch ms, on the snapshot\'s clock), or null for never')
  await refuses(t, h, changed(good, (copy) => { task(copy).colour = 'red' }), 'tenants[0].tasks[0]: unknown field "colour"')
  await refuses(t, h, changed(good, (copy) => { task(copy).type = 'text_to_song' }), /^tenants\[0\]\.tasks\[0\]\.type: must be one of text_to_model, /)
  await refuses(t, h, changed(good, (copy) => { delete copy['clock'].now }), 'clock.now: is required')
  await refuses(t, h, changed(good, (copy) => { copy['files'].objects[0].bytes = 'not base64!' }), 'files.objects[0].bytes: must be the object\'s bytes in base64')

  await refuses(t, h, changed(good, (copy) => { copy['tenants'][1].key = KEY }), 'tenants[1].key: tsk_test…0001 appears twice')
  await refuses(t, h, changed(good, (copy) => { task(copy, 1).id = task(copy).id }), `tenants[0].tasks[1].id: task ${world.tasks['v2Success'] as string} appears twice`)
  await refuses(t, h, changed(good, (copy) => { copy['tenants'][1].tasks[0].id = task(copy).id }), /^tenants\[1\]\.tasks\[0\]\.id: task .* appears twice$/)
  await refuses(t, h, changed(good, (copy) => { task(copy).timeline.startAt = null }), 'tenants[0].tasks[0].timeline.endAt: a task that never leaves the queue never ends (null)')
  await refuses(t, h, changed(good, (copy) => { task(copy).timeline.startAt = task(copy).timeline.createdAt - 1 }), 'tenants[0].tasks[0].timeline: createdAt <= startAt <= endAt does not hold')
  await refuses(t, h, changed(good, (copy) => { task(copy).timeline.endAt = task(copy).timeline.startAt - 1 }), 'tenants[0].tasks[0].timeline: createdAt <= startAt <= endAt does not hold')
  const stalled = good['tenants'][0].tasks.findIndex((each: Document) => each.id === world.tasks['v2StallsRunning'])
  await refuses(t, h, changed(good, (copy) => { task(copy, stalled).settled = true }), `tenants[0].tasks[${stalled}].settled: a task that never ends cannot be settled`)
  const running = good['tenants'][0].tasks.findIndex((each: Document) => each.id === world.tasks['v2Running'])
  await refuses(t, h, changed(good, (copy) => { task(copy, running).settled = true }), `tenants[0].tasks[${running}].settled: the task is not final at the snapshot's time, so it cannot be settled`)

  await refuses(t, h, changed(good, (copy) => { copy['files'].uploads[1].token = copy['files'].uploads[0].token }), /^files\.uploads\[1\]\.token: .* appears twice$/)
  await refuses(t, h, changed(good, (copy) => { copy['files'].objects[1].key = copy['files'].objects[0].key }), /^files\.objects\[1\]\.key: tripo-data\/.* appears twice$/)
  await refuses(t, h, changed(good, (copy) => { copy['files'].credentials.push(copy['files'].credentials[0]) }), /^files\.credentials\[1\]\.accessKeyId: ASIA\w+ appears twice$/)

  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].global = ['nope'] }), 'scenarios.global[0]: unknown scenario "nope" (not built in, not in scenariosDir, not ad-hoc)')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].keys = { [KEY]: ['task-failed', 'nope'] } }), 'scenarios.keys["tsk_test…0001"][1]: unknown scenario "nope" (not built in, not in scenariosDir, not ad-hoc)')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].adhoc = [] }), /^scenarios\.global\[0\]: unknown scenario "never-fires"/)
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].adhoc[0].name = 'task-failed' }), 'scenarios.adhoc[0].name: "task-failed" is a scenario loaded from a file')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].adhoc[1].name = 'slow-downloads' }), 'scenarios.adhoc[1].name: "slow-downloads" appears twice')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].adhoc[1].rules[0].effect.error = 'NOPE' }), /^scenarios\.adhoc\[1\]: rules\[0\]\.effect\.error: unknown error "NOPE"/)
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].adhoc[1].name = 'Bad Name' }), 'scenarios.adhoc[1].name: must be a name of lowercase letters, digits and dashes (by default, and necessarily, the file name)')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].counters[0].rule = 'slow-downloads/gone' }), 'scenarios.counters[0].rule: no rule slow-downloads/gone')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].counters[0].rule = 'gone/rule' }), 'scenarios.counters[0].rule: no rule gone/rule')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].counters[0].rule = 'no-slash' }), 'scenarios.counters[0].rule: no rule no-slash')
  await refuses(t, h, changed(good, (copy) => { copy['scenarios'].counters[0].random = [1, 2, 3] }), 'scenarios.counters[0].random: must NOT have fewer than 4 items')

  await refuses(t, h, changed(good, (copy) => { copy['tenants'][1].key = `tsk_${'k'.repeat(300)}` }), /^tenants\[1\]\.key: this emulator does not accept the key tsk_.* \(see apiKeys\)$/)

  const limited = await harness(t, { apiKeys: [KEY] })
  await refuses(t, limited, good, 'tenants[1].key: this emulator does not accept the key tsk_test…0002 (see apiKeys)')
})

t.test('one key\'s import: the snapshot must be of that key, and take nothing of another key', async (t) => {
  const h = await harness(t)
  const world = await buildWorld(h)
  const whole = await exported(h)
  const mine = await exported(h, KEY)
  const other = await exported(h, OTHER_KEY)

  await refuses(t, h, whole, 'key: the snapshot holds the whole state, not one key\'s: import it without a key', KEY)
  await refuses(t, h, mine, 'key: the snapshot holds one key\'s state (tsk_test…0001): import it for that key')
  await refuses(t, h, mine, 'key: the snapshot is of tsk_test…0001, not of tsk_test…0002', OTHER_KEY)
  await refuses(t, h, changed(mine, (copy) => { copy['tenants'][0].key = OTHER_KEY }), 'tenants[0].key: not the snapshot\'s key', KEY)
  await refuses(t, h, changed(mine, (copy) => { copy['files'].uploads[0].owner = OTHER_KEY }), 'files.uploads[0].owner: not the snapshot\'s key', KEY)
  await refuses(t, h, changed(mine, (copy) => { copy['scenarios'].counters[0].key = null }), 'scenarios.counters[0].key: not the snapshot\'s key', KEY)
  await refuses(t, h, changed(mine, (copy) => { copy['scenarios'].keys = { [OTHER_KEY]: [] } }), 'scenarios.keys: tsk_test…0002 is not the snapshot\'s key', KEY)
  await refuses(t, h, changed(mine, (copy) => { copy['scenarios'].adhoc = whole['scenarios'].adhoc }), 'scenarios.adhoc: a snapshot of one key has none (ad-hoc scenarios are shared by every key)', KEY)
  await refuses(t, h, changed(mine, (copy) => { copy['scenarios'].global = ['task-failed'] }), 'scenarios.global: a snapshot of one key has none (global activations are shared by every key)', KEY)
  await refuses(t, h, changed(other, (copy) => { copy['tenants'][0].tasks[0].id = world.tasks['v2Success'] }), `tenants[0].tasks[0].id: task ${world.tasks['v2Success'] as string} belongs to another key`, OTHER_KEY)
  await refuses(t, h, changed(other, (copy) => { copy['files'].uploads[0].token = world.v2Token }), `files.uploads[0].token: ${world.v2Token} belongs to another key`, OTHER_KEY)
  await refuses(t, h, changed(other, (copy) => { copy['scenarios'].keys[OTHER_KEY] = ['gone'] }), 'scenarios.keys["tsk_test…0002"][0]: unknown scenario "gone" (not built in, not in scenariosDir, not ad-hoc)', OTHER_KEY)

  const fresh = await harness(t)
  await refuses(t, fresh, other, 'scenarios.keys["tsk_test…0002"][0]: unknown scenario "first-create-refused" (not built in, not in scenariosDir, not ad-hoc)', OTHER_KEY)
})

t.test('an import respects the stores\' bounds: maxTasks, maxUploads, maxObjectBytes (the oldest go first)', async (t) => {
  const h = await harness(t)
  await buildWorld(h)
  const v3Models = [await v3Upload(h, GLB), await v3Upload(h, GLB)]
  h.clock.advance(HOUR)
  const document = await exported(h)
  const small = await harness(t, { maxTasks: 3, urlExpirySeconds: 60, maxUploads: 2, maxObjectBytes: 2 * GLB.length })
  const done = (await imported(small, document)).json()
  t.equal(done.parts.tenants.tasks, 3, 'the longest-final tasks went (their URLs\' lifetime has passed)')
  const stalled = document['tenants'][0].tasks.find((task: Document) => task.timeline.endAt === null)
  t.ok(small.services.emulator.findTask(stalled.id), 'a live task always stays')
  t.same(done.parts.files, { uploads: 2, credentials: 1, objects: 2, objectBytes: 2 * GLB.length })
  const kept = (await exported(small))['files']
  t.same(kept.uploads.map((upload: Document) => upload.token), document['files'].uploads.slice(-2).map((upload: Document) => upload.token), 'the newest uploads')
  t.same(kept.objects.map((object: Document) => object.key), document['files'].objects.slice(-2).map((object: Document) => object.key), 'the newest objects')
  t.equal(small.services.files.held.objectBytes, 2 * GLB.length, 'the byte count is rebuilt')
  t.ok(kept.uploads.some((upload: Document) => upload.token === v3Models[1]))

  const fewCredentials = await harness(t, { maxUploads: 1 })
  const withTwo = changed(document, (copy) => { copy['files'].credentials.push({ ...copy['files'].credentials[0], accessKeyId: 'ASIAOTHER' }) })
  t.same((await imported(fewCredentials, withTwo)).json().parts.files.credentials, 1)
  t.same((await exported(fewCredentials))['files'].credentials.map((each: Document) => each.accessKeyId), ['ASIAOTHER'])
})

t.test('concurrency slots and credits are rebuilt: held slots still count, settled tasks refund as they would', async (t) => {
  const h = await harness(t, { concurrencyLimits: { model_generation: 2 } })
  await h.newTask({ type: 'text_to_model', prompt: 'a' }, KEY)
  const failing = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), 'x-tripo-mock-scenario': 'task-failed' }, payload: { type: 'text_to_model', prompt: 'b' } })
  t.equal(failing.json().code, 0)
  const document = await exported(h)
  const other = await harness(t, { concurrencyLimits: { model_generation: 2 } })
  await imported(other, document)
  t.equal((await other.createTask({ type: 'text_to_model', prompt: 'c' })).json().code, 2000, 'both slots are held')
  t.same(await other.balance(), await h.balance())
  other.clock.advance(HOUR)
  h.clock.advance(HOUR)
  t.same(await other.balance(), await h.balance(), 'the failed task\'s credits come back, the other\'s are spent')
  t.equal((await other.createTask({ type: 'text_to_model', prompt: 'c' })).json().code, 0, 'the slots freed')
})

t.test('a task read just before an import is read afresh after it, even in the same second', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a cat' })
  const document = await exported(h)
  t.match((await h.getTask(id)).json().data, { type: 'text_to_model', input: { prompt: 'a cat' } })
  const renamed = changed(document, (copy) => { copy['tenants'][0].tasks[0].params.prompt = 'a dog' })
  await imported(h, renamed)
  t.match((await h.getTask(id)).json().data, { input: { prompt: 'a dog' } })
  t.match((await h.app.inject({ url: `/v3/tasks/${id}`, headers: bearer() })).json().data, { input: { prompt: 'a dog' } })
})

t.test('watchers of a replaced tenant are told it was forgotten; the imported tasks can be watched', async (t) => {
  const h = await harness(t)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  const forgotten: string[] = []
  h.services.emulator.onTenantForgotten((tenant) => { forgotten.push(tenant.key) })
  const changedTasks: string[] = []
  h.services.emulator.onTaskChange((task) => { changedTasks.push(task.id) })
  await imported(h, await exported(h))
  t.same(forgotten, [KEY])
  t.equal(h.services.emulator.findTask(id)?.owner, KEY)
})

t.test('the document\'s schema is in the control plane\'s OpenAPI, and the body may be as large as a big state', async (t) => {
  const h = await harness(t)
  const docs = (await h.app.inject({ url: '/__mock/docs/json' })).json()
  const put = docs.paths['/__mock/state'].put
  t.match(put.requestBody.content['application/json'].schema, { title: 'StateSnapshot', properties: { format: { enum: ['tripo-mock/state'] }, version: { enum: [1] }, tenants: { type: 'array' }, files: { type: 'object' }, scenarios: { type: 'object' } } })
  t.match(docs.paths['/__mock/state'].get.responses['200'].content['application/json'].schema, { title: 'StateSnapshot' })
  const big = await imported(h, { ...(await exported(h)), padding: 'x'.repeat(30 * 1024 * 1024) })
  t.match(big.json(), { code: 9400, detail: 'unknown field "padding"' }, 'over bodyLimit (20 MB), still read')
})

t.test('a failure inside a part that is not a refusal is not dressed as one', async (t) => {
  const h = await harness(t)
  h.services.state.register({
    name: 'broken',
    schema: { type: 'object' } as never,
    export: () => ({}),
    prepare: () => { throw new TypeError('a bug') }
  })
  const response = await imported(h, await exported(h))
  t.equal(response.statusCode, 500)
})

t.test('the image of a V3 upload and the PNG of a V2 one survive as tokens of their key', async (t) => {
  const h = await harness(t)
  const token = await v3Upload(h, PNG)
  const document = await exported(h)
  const other = await harness(t)
  await imported(other, document)
  t.equal((await other.app.inject({ method: 'POST', url: '/v3/generation/image-to-model', headers: bearer(), payload: { input: token, model: MODEL } })).statusCode, 200)
  t.equal((await other.app.inject({ method: 'POST', url: '/v3/generation/image-to-model', headers: bearer(OTHER_KEY), payload: { input: token, model: MODEL } })).statusCode, 400, 'not another key\'s')
})

t.test('ids and random bytes handed in: the same requests make the same snapshot (how the demo state is made)', async (t) => {
  const seeded = () => {
    let counter = 0
    return {
      newId: () => `00000000-0000-4000-8000-${String(counter++).padStart(12, '0')}`,
      random: (size: number) => Buffer.alloc(size, counter++)
    }
  }
  const snapshots = []
  for (let run = 0; run < 2; run++) {
    const h = await harness(t, {}, seeded())
    h.clock.set(Date.UTC(2026, 5, 1))
    await buildWorld(h)
    snapshots.push(timeless(await exported(h)))
  }
  t.same(snapshots[0], snapshots[1])
  t.match(snapshots[0]?.['tenants'][0].tasks[0].id, /^00000000-0000-4000-8000-\d{12}$/)
})

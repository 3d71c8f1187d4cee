/**
 * tripo-mock in a tap suite, the way your own test files would use it:
 * - one emulator per test file, on a free port, with the manual clock: tasks move only when the
 *   test moves time, so nothing sleeps;
 * - the code under test calls it over HTTP with an API key of its own per test, so tests never see
 *   each other's tasks, credits or scenarios;
 * - the test moves time, picks failures and looks at what happened through the handle.
 */
import t from 'tap'
import { startTripoMock } from 'tripo-mock'

// ---- the code under test: a small Tripo V3 client (yours takes the base URL from its configuration) ----

interface Task {
  task_id: string
  status: string
  progress: number
  output: Record<string, string>
  error_code?: number
  error_message?: string
}

class TripoError extends Error {
  readonly status: number
  readonly code: number
  constructor (status: number, code: number, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

function tripoClient (baseUrl: string, apiKey: string) {
  const call = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
    })
    const body = await response.json() as { code: number, message?: string, data: T }
    if (body.code !== 0) throw new TripoError(response.status, body.code, body.message ?? '')
    return body.data
  }
  return {
    textToModel: async (params: Record<string, unknown>) =>
      (await call<{ task_id: string }>('/generation/text-to-model', { method: 'POST', body: JSON.stringify(params) })).task_id,
    getTask: (taskId: string) => call<Task>(`/tasks/${taskId}`)
  }
}

// ---- the suite ----

const mock = await startTripoMock({
  clockMode: 'manual',
  // Explicit durations keep the steps below readable: 2 s in the queue, then 10 s of running.
  durations: { text_to_model: { queuedMs: 2000, runningMs: 10_000 } }
})
t.teardown(() => mock.close())

t.test('a model is generated: the task runs to success and its model downloads', async (t) => {
  const client = tripoClient(mock.apiUrl, 'tsk_example_success')
  const taskId = await client.textToModel({ prompt: 'a small red car', model: 'v3.1-20260211' })
  t.match(await client.getTask(taskId), { status: 'queued', progress: 0 })

  mock.clock.advance('7s')
  t.match(await client.getTask(taskId), { status: 'running', progress: 50 })

  mock.clock.advance('1m')
  const done = await client.getTask(taskId)
  t.match(done, { status: 'success', progress: 100 })
  const model = await fetch(done.output['model_url'] as string)
  t.equal(model.status, 200)
  t.equal(Buffer.from(await model.arrayBuffer()).subarray(0, 4).toString(), 'glTF', 'a real GLB file')
})

t.test('a failure flow: a scenario bound to this test\'s key makes the task fail at 60%', async (t) => {
  const key = 'tsk_example_failure'
  mock.scenarios.activate('task-fails-at-60', { key })
  t.teardown(() => { mock.reset(key) })
  const client = tripoClient(mock.apiUrl, key)
  const taskId = await client.textToModel({ prompt: 'a small red car', model: 'v3.1-20260211' })

  mock.clock.advance('7.5s')
  t.match(await client.getTask(taskId), { status: 'running', progress: 55 })
  mock.clock.advance('1s')
  t.match(await client.getTask(taskId), { status: 'failed', error_code: 1001, error_message: 'Fatal error on server side' }, 'failed at 60%, as the real API reports it (progress 100)')
  t.match(mock.tasks.get(taskId), { fate: { status: 'failed', atProgress: 60 }, decidedBy: /^task-fails-at-60\// }, 'the emulator says why')
})

t.test('an error flow: a key without credits gets 403/2010, and the journal shows it', async (t) => {
  const key = 'tsk_example_no_credits'
  mock.credits.set(key, { balance: 0 })
  const client = tripoClient(mock.apiUrl, key)
  await t.rejects(client.textToModel({ prompt: 'a small red car', model: 'v3.1-20260211' }), { status: 403, code: 2010 })
  t.equal(mock.journal.count({ key, operation: 'createTask', status: 403 }).count, 1)
})

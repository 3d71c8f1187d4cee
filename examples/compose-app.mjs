/**
 * The app of the Compose example (docker-compose.yml), standing for your service: a Tripo V3 client
 * that creates a text-to-model task, polls it to its end as a client would, downloads the model,
 * and starts again, for as long as the stack runs. It needs nothing but Node (the stock
 * node image runs it as it is) and two variables: TRIPO_API_BASE and TRIPO_API_KEY.
 * test/docker.test.ts runs it against the emulator as Compose would.
 */
const base = process.env.TRIPO_API_BASE ?? 'http://localhost:8080/v3'
const key = process.env.TRIPO_API_KEY ?? 'tsk_compose_demo'
/** How long to wait between two polls, and between two rounds. */
const pause = Number(process.env.POLL_MS ?? 2000)

// As PID 1 in a container, Node would ignore SIGTERM: stop at once when Compose says so.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0))

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function call (method, path, body) {
  const answer = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const json = await answer.json()
  if (json.code !== 0) throw new Error(`${method} ${path}: ${answer.status} ${json.code} ${json.message}`)
  return json.data
}

async function round () {
  const { task_id: taskId } = await call('POST', '/generation/text-to-model', { prompt: 'a small red car', model: 'v3.1-20260211' })
  console.log(`created ${taskId}`)
  let task
  let seen = ''
  for (;;) {
    task = await call('GET', `/tasks/${taskId}`)
    const now = `${task.status} ${task.progress}%`
    if (now !== seen) console.log(`${taskId}: ${now}`)
    seen = now
    if (!['queued', 'running'].includes(task.status)) break
    await sleep(pause)
  }
  if (task.status !== 'success') return
  const model = await fetch(task.output.model_url)
  console.log(`${taskId}: downloaded ${(await model.arrayBuffer()).byteLength} bytes (${model.headers.get('content-type')})`)
}

for (;;) {
  try {
    await round()
  } catch (error) {
    console.error(error.message)
  }
  await sleep(pause)
}

/**
 * Tasks: live, of one key or every key, with status, progress, fate and the rule that decided it;
 * one task's timeline, the buttons that move it on, fail it with a chosen code or cancel it, and
 * its outputs, with a 3D preview of a GLB model in the page.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ERROR_CATALOGUE } from '../../domain/errors.ts'
import { call, query, rootUrl } from '../api.ts'
import { useApp } from '../context.ts'
import { shortId, statusTone } from '../format.ts'
import { useLiveList, useStream } from '../live.ts'
import { type Route, updateRoute } from '../route.ts'
import type { TaskOutputs, TaskPage, TaskStatus, TaskView } from '../types.ts'
import { VirtualList } from '../virtual-list.tsx'
import { Badge, DetailPane, KeyPicker, Problem, StreamBadge, useAction, useTicker, When } from '../widgets.tsx'

const STATUSES: TaskStatus[] = ['queued', 'running', 'success', 'failed', 'banned', 'expired', 'cancelled', 'unknown']
const MAX_ROWS = 2000
const ROW_HEIGHT = 38
/** How far along a status is: a task never moves back. */
const RANK: Record<string, number> = { queued: 0, running: 1 }
const rank = (task: TaskView): number => (RANK[task.status] ?? 2) * 1000 + task.progress

/** Codes a task can be failed with: the API's own (the emulator's 9xxx are not a task's). */
const FAIL_CODES = Object.values(ERROR_CATALOGUE).filter((entry) => entry.source !== 'emulator').map((entry) => ({ code: entry.code, message: entry.message }))

export function TasksView ({ route }: { route: Route }) {
  const { token } = useApp()
  useTicker()
  const keyId = route.params.get('key') ?? undefined
  const status = route.params.get('status') ?? undefined
  const selected = route.params.get('task') ?? undefined
  const key = keyId === undefined ? undefined : { id: keyId }
  const list = useLiveList<TaskView>(MAX_ROWS, (task) => task.taskId)
  const [error, setError] = useState<unknown>()
  const [selectedView, setSelectedView] = useState<TaskView>()

  const load = async (): Promise<void> => {
    try {
      const page = await call<TaskPage>(`tasks${query({ order: 'newest', limit: 500, status })}`, { key })
      setError(undefined)
      list.reset(page.tasks)
    } catch (refused) {
      setError(refused)
    }
  }
  const state = useStream({
    topics: ['tasks'],
    key,
    onEvent: (event, data) => {
      if (event === 'ready' || event === 'skipped') {
        load()
        return
      }
      if (event !== 'task') return
      const task = (data as { task: TaskView }).task
      if (task.taskId === selected) setSelectedView(task)
      // Filtered on a status, a task that leaves it stays until the next read (it does not vanish under the pointer).
      if (status !== undefined && task.status !== status && list.latest(task) === task) return
      // A snapshot read after this event may hold a later state: a task never moves back.
      list.put(task, (known, next) => rank(next) >= rank(known))
    }
  }, token)
  useEffect(() => { list.clear() }, [keyId, status])
  const tasks = list.items

  return (
    <section class='view split' aria-labelledby='tasks-title'>
      <div class='main'>
        <header class='view-head'>
          <h1 id='tasks-title'>Tasks</h1>
          <StreamBadge state={state} />
        </header>
        <form class='filters' aria-label='Filters' onSubmit={(event) => { event.preventDefault() }}>
          <label>Key <KeyPicker id='tasks-key' value={keyId} onChange={(value) => { updateRoute(route, { key: value }) }} /></label>
          <label>Status
            <select value={status ?? ''} onChange={(event) => { updateRoute(route, { status: (event.target as HTMLSelectElement).value }) }}>
              <option value=''>Any</option>
              {STATUSES.map((each) => <option key={each} value={each}>{each}</option>)}
            </select>
          </label>
        </form>
        <Problem error={error} />
        <div class='table-head tasks-cols' aria-hidden='true'>
          <span>Created</span><span>Status</span><span>Progress</span><span>Task</span><span>Type</span><span>Key</span><span>Fate</span>
        </div>
        {tasks.length === 0
          ? <p class='empty'>No task yet.</p>
          : (
            <VirtualList
              count={tasks.length} rowHeight={ROW_HEIGHT} added={list.added} label='Tasks, newest first'
              row={(index) => {
                const task = list.latest(tasks[index] as TaskView)
                return (
                  <button type='button' class='row tasks-cols' data-id={task.taskId} aria-current={task.taskId === selected} onClick={() => { updateRoute(route, { task: task.taskId }) }}>
                    <When iso={task.timeline.queuedAt} />
                    <Badge tone={statusTone(task.status)}>{task.status}</Badge>
                    <Progress value={task.progress} status={task.status} />
                    <code>{shortId(task.taskId)}</code>
                    <span>{task.type}</span>
                    <span>{task.key}</span>
                    <span>{fateText(task)}</span>
                  </button>
                )
              }}
            />
            )}
      </div>
      {selected !== undefined && <TaskDetail taskId={selected} live={selectedView?.taskId === selected ? selectedView : undefined} route={route} />}
    </section>
  )
}

function Progress ({ value, status }: { value: number, status: string }) {
  return <progress class={statusTone(status)} max={100} value={value} aria-label={`${value}%`}>{value}%</progress>
}

function fateText (task: TaskView): string {
  const { fate } = task
  const parts: string[] = [fate.status]
  if (fate.errorCode !== undefined) parts.push(String(fate.errorCode))
  if (fate.atProgress !== undefined) parts.push(`at ${fate.atProgress}%`)
  if (fate.stall !== undefined) parts.push(`stalls ${fate.stall}`)
  return parts.join(' ')
}

function TaskDetail ({ taskId, live, route }: { taskId: string, live: TaskView | undefined, route: Route }) {
  const [task, setTask] = useState<TaskView>()
  const [error, setError] = useState<unknown>()
  const [code, setCode] = useState('1001')
  const [run, refused] = useAction()
  const { say } = useApp()
  useEffect(() => {
    setTask(undefined)
    call<TaskView>(`tasks/${encodeURIComponent(taskId)}`).then(setTask, setError)
  }, [taskId])
  const shown = live ?? task
  const final = shown !== undefined && shown.status !== 'queued' && shown.status !== 'running'
  const force = (body: unknown, done: string) => run(async () => { setTask(await call<TaskView>(`tasks/${encodeURIComponent(taskId)}/force`, { method: 'POST', body })) }, done)
  // Its event again (by its final status), to every enabled endpoint that receives it.
  const sendWebhook = () => run(async () => {
    const { deliveries } = await call<{ deliveries: unknown[] }>('webhooks/trigger', { method: 'POST', body: { taskId } })
    say(deliveries.length === 0 ? 'No enabled endpoint receives its event' : `Webhook sent: ${deliveries.length} deliver${deliveries.length === 1 ? 'y' : 'ies'}`)
  })
  return (
    <DetailPane title='Task' error={error} onClose={() => { updateRoute(route, { task: undefined }) }}>
      {shown !== undefined && (
        <>
          <dl class='facts'>
            <dt>Id</dt><dd><code>{shown.taskId}</code></dd>
            <dt>Status</dt><dd><Badge tone={statusTone(shown.status)}>{shown.status}</Badge> <Progress value={shown.progress} status={shown.status} /> {shown.progress}%</dd>
            <dt>Type</dt><dd>{shown.type}</dd>
            <dt>Key</dt><dd><a href={`#/tasks${query({ key: shown.keyId })}`}>{shown.key}</a></dd>
            <dt>Fate</dt><dd>{fateText(shown)}</dd>
            <dt>Decided by</dt><dd>{shown.decidedBy ?? 'the default rules'}</dd>
            <dt>Cost</dt><dd>{shown.cost} credits</dd>
          </dl>
          <h3>Timeline</h3>
          <ol class='timeline'>
            <li><span>Queued</span> <When iso={shown.timeline.queuedAt} /></li>
            <li><span>Running</span> <When iso={shown.timeline.runningAt} /></li>
            <li><span>Final ({shown.fate.status})</span> <When iso={shown.timeline.finalAt} /></li>
          </ol>
          <h3>Steer it</h3>
          <div class='actions'>
            <button type='button' disabled={final} onClick={() => { force({}, 'Moved on') }}>Move on</button>
            <button type='button' disabled={final} onClick={() => { force({ status: 'cancelled' }, 'Cancelled') }}>Cancel</button>
          </div>
          <form class='actions' onSubmit={(event) => { event.preventDefault(); force({ status: 'failed', errorCode: Number(code) }, `Failed with ${code}`) }}>
            <label>Error code
              <select value={code} onChange={(event) => { setCode((event.target as HTMLSelectElement).value) }} disabled={final}>
                {FAIL_CODES.map((entry) => <option key={entry.code} value={String(entry.code)}>{entry.code} · {entry.message}</option>)}
              </select>
            </label>
            <button type='submit' class='danger' disabled={final}>Fail it</button>
          </form>
          <div class='actions'>
            <button type='button' disabled={!final} onClick={() => { sendWebhook() }}>Send webhook</button>
            <a href={`#/webhooks${query({ task: taskId })}`}>its webhook deliveries</a>
          </div>
          <Problem error={refused} />
          {shown.status === 'success' && <Outputs taskId={shown.taskId} />}
        </>
      )}
    </DetailPane>
  )
}

function Outputs ({ taskId }: { taskId: string }) {
  const [outputs, setOutputs] = useState<TaskOutputs>()
  const [error, setError] = useState<unknown>()
  const [preview, setPreview] = useState<string>()
  useEffect(() => {
    setPreview(undefined)
    call<TaskOutputs>(`tasks/${encodeURIComponent(taskId)}/outputs`).then(setOutputs, setError)
  }, [taskId])
  return (
    <>
      <h3>Outputs</h3>
      <Problem error={error} />
      <ul class='outputs'>
        {outputs?.outputs.map((output) => (
          <li key={output.name}>
            <a href={rootUrl(output.path)} target='_blank' rel='noreferrer'>{output.name}</a> <span class='muted'>{output.format}</span>
            {output.format === 'glb' && <button type='button' onClick={() => { setPreview(rootUrl(output.path)) }}>Preview in 3D</button>}
          </li>
        ))}
      </ul>
      {preview !== undefined && <ModelPreview url={preview} />}
    </>
  )
}

/** The 3D viewer (three.js) loads only when a preview is asked for. */
function ModelPreview ({ url }: { url: string }) {
  const host = useRef<HTMLDivElement>(null)
  const [state, setState] = useState('Loading the model…')
  useEffect(() => {
    let stop: (() => void) | undefined
    let cancelled = false
    import('../model-preview.ts').then(async ({ showModel }) => {
      if (cancelled || host.current === null) return
      stop = await showModel(host.current, url)
      setState('Drag to turn the model, scroll to zoom.')
    }).catch((error: unknown) => { setState(`The model could not be shown: ${String(error)}`) })
    return () => {
      cancelled = true
      stop?.()
    }
  }, [url])
  return (
    <figure class='preview'>
      <div ref={host} class='canvas-host' role='img' aria-label='3D preview of the model' />
      <figcaption><span role='status'>{state}</span></figcaption>
    </figure>
  )
}

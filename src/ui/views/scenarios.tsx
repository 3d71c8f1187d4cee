/**
 * Scenarios: every scenario with its description, switched on and off globally or for one key,
 * and an ad-hoc scenario written here (YAML, as in a scenario file), checked as one types, with
 * the validator's message at the line it is about.
 */
import { useEffect, useState } from 'preact/hooks'
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml'
import { call } from '../api.ts'
import { useApp, useGlobalEvents } from '../context.ts'
import { type Route, updateRoute } from '../route.ts'
import type { ScenarioCheck, ScenarioSummary } from '../types.ts'
import { Badge, KeyPicker, Problem, useAction } from '../widgets.tsx'

const EXAMPLE = `name: checkout-demo
description: The first task creation is refused for content policy
rules:
  - match: { operation: createTask }
    times: 1
    effect: { error: CONTENT_POLICY }
`

export function ScenariosView ({ route }: { route: Route }) {
  const { keys, refreshKeys } = useApp()
  const keyId = route.params.get('key') ?? undefined
  const key = keys.find((each) => each.keyId === keyId)
  const [scenarios, setScenarios] = useState<ScenarioSummary[]>([])
  const [error, setError] = useState<unknown>()
  /** Switches flipped and not yet read back: shown as flipped meanwhile. */
  const [flipped, setFlipped] = useState<Record<string, boolean>>({})
  const [run, refused] = useAction()
  const load = (): void => {
    call<ScenarioSummary[]>('scenarios').then((read) => {
      setScenarios(read)
      setFlipped({})
    }, setError)
  }
  useEffect(load, [])
  useGlobalEvents((event) => { if (event === 'scenarios' || event === 'reset') load() })

  const toggle = (name: string, active: boolean, scoped: boolean) => run(async () => {
    setFlipped((known) => ({ ...known, [`${scoped ? 'key' : 'global'}:${name}`]: active }))
    await call(`scenarios/${encodeURIComponent(name)}/${active ? 'activate' : 'deactivate'}`, { method: 'POST', ...(scoped && keyId !== undefined ? { key: { id: keyId } } : {}) })
    await refreshKeys()
    load()
  }, `${name} ${active ? 'on' : 'off'}${scoped ? ` for ${key?.key ?? 'the key'}` : ' for every key'}`)

  return (
    <section class='view' aria-labelledby='scenarios-title'>
      <header class='view-head'>
        <h1 id='scenarios-title'>Scenarios</h1>
        <button type='button' onClick={() => { run(async () => { await call('scenarios/reload', { method: 'POST' }); load() }, 'Scenario files reloaded') }}>Reload files</button>
      </header>
      <form class='filters' onSubmit={(event) => { event.preventDefault() }}>
        <label>Switch for a key too <KeyPicker id='scenario-key' value={keyId} anyLabel='No key' onChange={(value) => { updateRoute(route, { key: value }) }} /></label>
      </form>
      <Problem error={error ?? refused} />
      <table class='scenarios'>
        <thead>
          <tr><th scope='col'>Scenario</th><th scope='col'>What it does</th><th scope='col'>Every key</th>{key !== undefined && <th scope='col'>{key.key}</th>}<th scope='col'>Bound to</th></tr>
        </thead>
        <tbody>
          {scenarios.map((scenario) => {
            const forKey = flipped[`key:${scenario.name}`] ?? (key !== undefined && key.scenarios.includes(scenario.name))
            const global = flipped[`global:${scenario.name}`] ?? scenario.activeGlobally
            return (
              <tr key={scenario.name}>
                <th scope='row'>{scenario.name} <Badge tone='idle'>{scenario.origin}</Badge></th>
                <td>{scenario.description} <span class='muted'>({scenario.rules} rule{scenario.rules === 1 ? '' : 's'})</span></td>
                <td>
                  <label class='switch'>
                    <input type='checkbox' role='switch' checked={global} onChange={(event) => { toggle(scenario.name, (event.target as HTMLInputElement).checked, false) }} />
                    <span class='visually-hidden'>{scenario.name} for every key</span>
                  </label>
                </td>
                {key !== undefined && (
                  <td>
                    <label class='switch'>
                      <input type='checkbox' role='switch' checked={forKey} onChange={(event) => { toggle(scenario.name, (event.target as HTMLInputElement).checked, true) }} />
                      <span class='visually-hidden'>{scenario.name} for {key.key}</span>
                    </label>
                  </td>
                )}
                <td>{scenario.keys.join(', ')}{scenario.origin === 'adhoc' && <button type='button' class='link' onClick={() => { run(async () => { await call(`scenarios/${encodeURIComponent(scenario.name)}`, { method: 'DELETE' }); load() }, `${scenario.name} removed`) }}>Remove</button>}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <Editor onAdded={load} />
    </section>
  )
}

interface Message {
  readonly text: string
  /** 1-based line the message is about, when known. */
  readonly line: number | undefined
}

/** Where a path such as `rules[0].effect.error` is in the YAML text. */
function lineOf (text: string, message: string): number | undefined {
  const path = /(?:^|: )((?:name|description|rules)(?:\[\d+\]|\.[A-Za-z]+)*)(?::|$)/.exec(message)?.[1]
  if (path === undefined) return undefined
  const steps = path.split(/\.|(?=\[)/).map((step) => step.startsWith('[') ? Number(step.slice(1, -1)) : step)
  const counter = new LineCounter()
  const document = parseDocument(text, { lineCounter: counter })
  // The deepest node of the path that exists: an unknown field is reported at its parent.
  for (let length = steps.length; length > 0; length--) {
    const node = document.getIn(steps.slice(0, length), true) as { range?: [number, number, number] } | undefined
    if (node?.range !== undefined) return counter.linePos(node.range[0]).line
    const parent = document.getIn(steps.slice(0, length - 1), true)
    if ((isMap(parent) || isSeq(parent)) && parent.range !== undefined && parent.range !== null) return counter.linePos(parent.range[0]).line
  }
  return undefined
}

function Editor ({ onAdded }: { onAdded: () => void }) {
  const { say } = useApp()
  const [text, setText] = useState(EXAMPLE)
  const [message, setMessage] = useState<Message>()
  const [valid, setValid] = useState(false)
  const [error, setError] = useState<unknown>()

  /** Parses the YAML (its own errors carry a line), then asks the emulator's validator. */
  const parsed = (): unknown => {
    const document = parseDocument(text, { lineCounter: new LineCounter() })
    const [problem] = document.errors
    if (problem !== undefined) throw Object.assign(new Error(problem.message.split('\n')[0]), { line: problem.linePos?.[0].line })
    return document.toJS()
  }
  useEffect(() => {
    const timer = setTimeout(() => {
      let definition: unknown
      try {
        definition = parsed()
      } catch (problem) {
        setValid(false)
        setMessage({ text: (problem as Error).message, line: (problem as { line?: number }).line })
        return
      }
      call<ScenarioCheck>('scenarios/validate', { method: 'POST', body: definition }).then((check) => {
        setValid(check.valid)
        setMessage(check.valid ? undefined : { text: check.message as string, line: lineOf(text, check.message as string) })
      }, setError)
    }, 300)
    return () => { clearTimeout(timer) }
  }, [text])

  const add = async (event: Event): Promise<void> => {
    event.preventDefault()
    setError(undefined)
    try {
      const added = await call<{ name: string }>('scenarios', { method: 'POST', body: parsed() })
      say(`Scenario ${added.name} added: switch it on above`)
      onAdded()
    } catch (refused) {
      setError(refused)
    }
  }
  const lines = text.split('\n')
  return (
    <form class='editor' aria-labelledby='editor-title' onSubmit={(event) => { add(event) }}>
      <h2 id='editor-title'>Ad-hoc scenario</h2>
      <p class='muted'>The scenario file format, with a name. It is checked as you type.</p>
      <div class='code'>
        <ol class='gutter' aria-hidden='true'>
          {lines.map((_, index) => <li key={index} class={message?.line === index + 1 ? 'flagged' : ''}>{index + 1}</li>)}
        </ol>
        <textarea
          aria-label='Scenario (YAML)' aria-describedby='editor-message' aria-invalid={message !== undefined}
          spellcheck={false} rows={Math.max(8, lines.length + 1)} value={text}
          onInput={(event) => { setText((event.target as HTMLTextAreaElement).value) }}
        />
      </div>
      <p id='editor-message' class={message === undefined ? 'ok' : 'problem'} role='status'>
        {message === undefined ? (valid ? 'Valid.' : '') : `${message.line === undefined ? '' : `Line ${message.line}: `}${message.text}`}
      </p>
      <Problem error={error} />
      <div class='actions'><button type='submit' class='primary' disabled={!valid}>Add scenario</button></div>
    </form>
  )
}

/**
 * State: export a snapshot (the whole state, or one key's) as a file, import one (all or nothing,
 * once confirmed), reset one key or everything, each after a confirmation. The same control routes
 * as a script's (`GET` and `PUT /__mock/state`, `POST /__mock/reset`).
 */
import { useState } from 'preact/hooks'
import { call } from '../api.ts'
import { useApp } from '../context.ts'
import type { Route } from '../route.ts'
import type { ImportDone } from '../types.ts'
import { ConfirmButton, KeyPicker, Problem, useAction } from '../widgets.tsx'

export function StateView ({ route }: { route: Route }) {
  const { keys, refreshKeys, say } = useApp()
  const [keyId, setKeyId] = useState(route.params.get('key') ?? undefined)
  const key = keys.find((each) => each.keyId === keyId)
  return (
    <section class='view' aria-labelledby='state-title'>
      <header class='view-head'><h1 id='state-title'>State</h1></header>
      <ExportPanel />
      <ImportPanel />
      <div class='panel'>
        <h2>Reset one key</h2>
        <p>Forgets the key's tasks, uploads, credits, limits, scenario bindings and journal entries. Other keys are untouched.</p>
        <div class='actions'>
          <label>Key to reset <KeyPicker id='reset-key' value={keyId} anyLabel='Choose a key' onChange={setKeyId} /></label>
          {key !== undefined && (
            <ConfirmButton
              label={`Reset ${key.key}`} danger question={`Forget everything of ${key.key}?`}
              onConfirm={async () => {
                await call('reset/tenant', { method: 'POST', key: { id: key.keyId } })
                setKeyId(undefined)
                refreshKeys()
                say(`${key.key} reset`)
              }}
            />
          )}
        </div>
      </div>
      <div class='panel'>
        <h2>Reset everything</h2>
        <p>Forgets every key, the journal, Retry-After windows and the metrics' counters. The clock and the loaded scenario files stay.</p>
        <ConfirmButton
          label='Reset everything' danger question='Forget every key, the journal and the counters?'
          onConfirm={async () => {
            await call('reset', { method: 'POST' })
            refreshKeys()
            say('Everything reset')
          }}
        />
      </div>
    </section>
  )
}

/** The whole state, or one key's, downloaded as a snapshot file. */
function ExportPanel () {
  const { keys } = useApp()
  const [keyId, setKeyId] = useState<string | undefined>()
  const [run, error] = useAction()
  const key = keys.find((each) => each.keyId === keyId)
  const download = async () => {
    const snapshot = await call<unknown>('state', { key: key === undefined ? undefined : { id: key.keyId } })
    const url = URL.createObjectURL(new Blob([JSON.stringify(snapshot)], { type: 'application/json' }))
    const link = document.createElement('a')
    link.href = url
    link.download = `tripo-mock-state${key === undefined ? '' : `-${key.keyId}`}.json`
    link.click()
    // The download has its own reference by then.
    setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
  }
  return (
    <div class='panel'>
      <h2>Export a snapshot</h2>
      <p>Every key's tasks, credits, uploads, scenario bindings and rule counters, with the clock and the ad-hoc scenarios; or one key's alone. Import it here, or start an emulator from it with <code>--import</code>.</p>
      <div class='actions'>
        <label>Snapshot of <KeyPicker id='export-key' value={keyId} anyLabel='Every key' onChange={setKeyId} /></label>
        <button type='button' onClick={async () => { await run(download, 'Snapshot downloaded') }}>Download snapshot</button>
      </div>
      <Problem error={error} />
    </div>
  )
}

interface Chosen {
  readonly name: string
  readonly document: unknown
  /** A one-key snapshot's key: it replaces that key's state alone. */
  readonly key: string | undefined
}

/** A snapshot file read, confirmed, then imported: all or nothing, the emulator's refusal in place. */
function ImportPanel () {
  const { refreshKeys, say } = useApp()
  const [chosen, setChosen] = useState<Chosen | undefined>()
  const [error, setError] = useState<unknown>()
  const choose = async (files: FileList | null) => {
    setChosen(undefined)
    setError(undefined)
    const file = files?.[0]
    if (file === undefined) return
    try {
      const document = JSON.parse(await file.text()) as { key?: unknown }
      setChosen({ name: file.name, document, key: typeof document?.key === 'string' ? document.key : undefined })
    } catch {
      setError(`${file.name} is not JSON`)
    }
  }
  return (
    <div class='panel'>
      <h2>Import a snapshot</h2>
      <p>Replaces the whole state by a snapshot, all or nothing (a bad file changes nothing); a snapshot of one key replaces that key's state alone. Its tasks resume where they were when it was taken.</p>
      <div class='actions'>
        <label>Snapshot file <input type='file' accept='.json,application/json' onChange={async (event) => { await choose(event.currentTarget.files) }} /></label>
        {chosen !== undefined && (
          <ConfirmButton
            label={`Import ${chosen.name}`} danger
            question={chosen.key === undefined ? 'Replace the whole state by this snapshot?' : 'Replace the state of the snapshot\'s key by it? Other keys are untouched.'}
            onConfirm={async () => {
              const done = await call<ImportDone>('state', { method: 'PUT', body: chosen.document, key: chosen.key === undefined ? undefined : { key: chosen.key } })
              refreshKeys()
              say(`Snapshot imported: ${done.parts['tenants']?.['tasks'] ?? 0} tasks${done.key === undefined ? '' : ` of ${done.key}`}`)
            }}
          />
        )}
      </div>
      <Problem error={error} />
    </div>
  )
}

/**
 * State: reset one key or everything, each after a confirmation. (Export and import of a
 * snapshot join this view as sections of their own when the control plane offers them.)
 */
import { useState } from 'preact/hooks'
import { call } from '../api.ts'
import { useApp } from '../context.ts'
import type { Route } from '../route.ts'
import { ConfirmButton, KeyPicker } from '../widgets.tsx'

export function StateView ({ route }: { route: Route }) {
  const { keys, refreshKeys, say } = useApp()
  const [keyId, setKeyId] = useState(route.params.get('key') ?? undefined)
  const key = keys.find((each) => each.keyId === keyId)
  return (
    <section class='view' aria-labelledby='state-title'>
      <header class='view-head'><h1 id='state-title'>State</h1></header>
      <div class='panel'>
        <h2>Reset one key</h2>
        <p>Forgets the key's tasks, uploads, credits, limits, scenario bindings and journal entries. Other keys are untouched.</p>
        <div class='actions'>
          <label>Key <KeyPicker id='reset-key' value={keyId} anyLabel='Choose a key' onChange={setKeyId} /></label>
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

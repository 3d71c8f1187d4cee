/**
 * Keys: every API key the emulator knows, masked, with its tasks, credits and scenarios; setting
 * its credits; links to its requests and tasks. A key that has not called yet can be typed in.
 */
import { useState } from 'preact/hooks'
import { call, type KeyRef, query } from '../api.ts'
import { useApp } from '../context.ts'
import type { Credits, KeyView } from '../types.ts'
import { Problem, useAction } from '../widgets.tsx'

export function KeysView () {
  const { keys, refreshKeys } = useApp()
  const [run, refused] = useAction()
  const [typed, setTyped] = useState('')
  const setCredits = (key: KeyRef, balance: number, label: string) => run(async () => {
    await call<Credits>('credits', { method: 'PATCH', key, body: { balance } })
    refreshKeys()
  }, `${label}: balance ${balance}`)
  return (
    <section class='view' aria-labelledby='keys-title'>
      <header class='view-head'>
        <h1 id='keys-title'>Keys and credits</h1>
        <button type='button' onClick={() => { refreshKeys() }}>Refresh</button>
      </header>
      <Problem error={refused} />
      {keys.length === 0
        ? <p class='empty'>No key has called yet.</p>
        : (
          <table>
            <thead><tr><th scope='col'>Key</th><th scope='col'>Tasks</th><th scope='col'>Balance</th><th scope='col'>Frozen</th><th scope='col'>Scenarios</th><th scope='col'>Set balance</th></tr></thead>
            <tbody>{keys.map((key) => <KeyRow key={key.keyId} view={key} onSet={(balance) => setCredits({ id: key.keyId }, balance, key.key)} />)}</tbody>
          </table>
          )}
      <form
        class='panel actions' onSubmit={(event) => {
          event.preventDefault()
          const form = new FormData(event.target as HTMLFormElement)
          setCredits({ key: typed }, Number(form.get('balance')), 'The typed key').then(() => { setTyped('') })
        }}
      >
        <h2>Another key</h2>
        <label>API key <input type='password' autocomplete='off' required value={typed} onInput={(event) => { setTyped((event.target as HTMLInputElement).value) }} /></label>
        <label>Balance <input name='balance' type='number' min='0' required /></label>
        <button type='submit'>Set credits</button>
      </form>
    </section>
  )
}

function KeyRow ({ view, onSet }: { view: KeyView, onSet: (balance: number) => Promise<void> }) {
  const [balance, setBalance] = useState('')
  return (
    <tr>
      <th scope='row'>
        {view.key}
        <span class='links'>
          <a href={`#/requests${query({ key: view.keyId })}`}>requests</a>
          <a href={`#/tasks${query({ key: view.keyId })}`}>tasks</a>
          <a href={`#/scenarios${query({ key: view.keyId })}`}>scenarios</a>
        </span>
      </th>
      <td class='num'>{view.tasks}</td>
      <td class='num'>{view.credits?.balance ?? '—'}</td>
      <td class='num'>{view.credits?.frozen ?? '—'}</td>
      <td>{view.scenarios.join(', ')}</td>
      <td>
        <form class='inline' onSubmit={(event) => { event.preventDefault(); onSet(Number(balance)).then(() => { setBalance('') }) }}>
          <input type='number' min='0' required aria-label={`New balance of ${view.key}`} value={balance} onInput={(event) => { setBalance((event.target as HTMLInputElement).value) }} />
          <button type='submit'>Set</button>
        </form>
      </td>
    </tr>
  )
}

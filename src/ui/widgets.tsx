/** Small pieces the views share: badges, relative times, the key picker, a confirmed action, errors. */
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { ControlError, type StreamState } from './api.ts'
import { useApp } from './context.ts'
import { emulatorNow, relativeTime, type Tone } from './format.ts'

export function Badge ({ tone, children }: { tone: Tone, children: ComponentChildren }) {
  return <span class={`badge ${tone}`}>{children}</span>
}

/** A time on the emulator's clock, relative to its now (the exact instant on hover). */
/** A view's live stream, as its heading shows it. */
export function StreamBadge ({ state }: { state: StreamState }) {
  return <span class={`stream ${state}`} role='status'>{state === 'live' ? 'Live' : state}</span>
}

export function When ({ iso }: { iso: string | null }) {
  const { clock, clockSeenAt } = useApp()
  return <time dateTime={iso ?? undefined} title={iso ?? 'never'}>{relativeTime(iso, emulatorNow(clock, clockSeenAt))}</time>
}

/** Chooses a known key by its id (or every key). */
export function KeyPicker ({ id, value, onChange, anyLabel = 'Every key' }: { id: string, value: string | undefined, onChange: (keyId: string | undefined) => void, anyLabel?: string }) {
  const { keys } = useApp()
  const known = keys.some((key) => key.keyId === value)
  return (
    <select id={id} value={value ?? ''} onChange={(event) => { onChange((event.target as HTMLSelectElement).value || undefined) }}>
      <option value=''>{anyLabel}</option>
      {keys.map((key) => <option key={key.keyId} value={key.keyId}>{key.key}</option>)}
      {value !== undefined && !known && <option value={value}>key {value}</option>}
    </select>
  )
}

/** The pane beside a list that shows one of its items, with what it could not read. */
export function DetailPane ({ title, error, onClose, children }: { title: string, error: unknown, onClose: () => void, children: ComponentChildren }) {
  return (
    <aside class='detail' aria-label={`${title} detail`}>
      <header class='view-head'>
        <h2>{title}</h2>
        <button type='button' onClick={onClose}>Close</button>
      </header>
      <Problem error={error} />
      {children}
    </aside>
  )
}

/** What a refusal says, in place. */
export function Problem ({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null
  const text = error instanceof ControlError ? `${error.message}${error.code === undefined ? '' : ` (${error.status}/${error.code})`}` : String(error)
  return <p class='problem' role='alert'>{text}</p>
}

/** A button whose action runs only once confirmed in a dialog. */
export function ConfirmButton ({ label, question, danger = false, onConfirm }: { label: string, question: string, danger?: boolean, onConfirm: () => Promise<void> | void }) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [error, setError] = useState<unknown>()
  return (
    <>
      <button type='button' class={danger ? 'danger' : ''} onClick={() => { setError(undefined); dialog.current?.showModal() }}>{label}</button>
      <dialog ref={dialog} aria-label={label}>
        <form
          method='dialog' onSubmit={async (event) => {
            if ((event.submitter as HTMLButtonElement | null)?.value !== 'yes') return
            event.preventDefault()
            try {
              await onConfirm()
              dialog.current?.close()
            } catch (refused) {
              setError(refused)
            }
          }}
        >
          <p>{question}</p>
          <Problem error={error} />
          <div class='actions'>
            <button value='no'>Keep</button>
            <button value='yes' class={danger ? 'danger' : 'primary'}>{label}</button>
          </div>
        </form>
      </dialog>
    </>
  )
}

/** Runs an action; says what came of it. */
export function useAction (): [(action: () => Promise<unknown>, done?: string) => Promise<void>, unknown] {
  const { say } = useApp()
  const [error, setError] = useState<unknown>()
  const run = async (action: () => Promise<unknown>, done?: string): Promise<void> => {
    setError(undefined)
    try {
      await action()
      if (done !== undefined) say(done)
    } catch (refused) {
      setError(refused)
    }
  }
  return [run, error]
}

/** Re-renders every second, for relative times. */
export function useTicker (): void {
  const [, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => { setTick((tick) => tick + 1) }, 1000)
    return () => { clearInterval(timer) }
  }, [])
}

/**
 * Writing the state to the `exportOnExit` file without being asked: when an emulator that was
 * listening closes (SIGTERM or SIGINT for the server, `close()` in process), after the requests in
 * flight have finished, so the file holds what their answers said; and, with
 * `exportIntervalSeconds`, from a timer. Never on a request (LocalStack's save-on-request and
 * frequent scheduled saves slowed its API), never two writes at once. An emulator that never
 * listened (its start failed) writes nothing, so a good file is not replaced by an empty state.
 */
import type { FastifyInstance } from 'fastify'
import { performance } from 'node:perf_hooks'
import { exportStateText } from '../control/actions.ts'
import type { Services } from '../services.ts'
import { ConfigError } from './config.ts'
import { checkExportTarget, writeStateFile } from './state-files.ts'

/** Calls `fire` every `ms` until the returned stop is called; never keeps the process alive on its own. */
export type Every = (fire: () => void, ms: number) => () => void

const everyInterval: Every = (fire, ms) => {
  const timer = setInterval(fire, ms).unref()
  return () => { clearInterval(timer) }
}

export function installStatePersistence (app: FastifyInstance, services: Services, every: Every = everyInterval): void {
  const { exportOnExit: file, exportIntervalSeconds } = services.config
  if (file === '') {
    if (exportIntervalSeconds > 0) throw new ConfigError('exportIntervalSeconds needs exportOnExit: the file it writes')
    return
  }
  checkExportTarget(file)

  const write = async (when: 'periodic' | 'exit'): Promise<void> => {
    const started = performance.now()
    const text = exportStateText(services)
    const exportMs = Math.round(performance.now() - started)
    await writeStateFile(file, text)
    app.log.info({ file, bytes: text.length, exportMs }, `state written (${when})`)
  }

  let listening = false
  let stop = () => {}
  let writing: Promise<void> | undefined
  app.addHook('onListen', (done) => {
    listening = true
    if (exportIntervalSeconds > 0) {
      stop = every(() => {
        // Skipped while the previous write is still going.
        writing ??= write('periodic')
          .catch((error: unknown) => { app.log.error({ err: error, file }, 'periodic state export failed') })
          .finally(() => { writing = undefined })
      }, exportIntervalSeconds * 1000)
    }
    done()
  })
  // Fastify runs onClose hooks once the server has closed and its requests have finished.
  app.addHook('onClose', async () => {
    stop()
    if (!listening) return
    await writing
    await write('exit')
  })
}

/**
 * The terminal's log: each JSON record pino writes, as one readable line (time, level, the
 * request's short trace id, the message, then the other fields as key=value), the ready record as
 * a banner of where everything is, and an error's stack under its line. Coloured when the terminal
 * takes colours (NO_COLOR and FORCE_COLOR are honoured).
 *
 * Why not pino-pretty: it runs as a worker thread with its own module graph (time at every start
 * on a terminal, and files the bundle would have to leave outside), and it prints Fastify's request
 * objects over several lines each; what reads well here depends on the emulator's own fields
 * (traceId, the ready record), which a few lines know directly. Nothing here runs unless the log
 * goes to a terminal (or `logFormat: pretty`).
 */
import { styleText } from 'node:util'
import { BANNER_LABELS } from './banner.ts'

type Style = Parameters<typeof styleText>[0]
type LogRecord = Record<string, unknown>

const LEVELS: Readonly<Record<number, { readonly name: string, readonly style: Style }>> = {
  10: { name: 'TRACE', style: 'gray' },
  20: { name: 'DEBUG', style: 'gray' },
  30: { name: 'INFO', style: 'green' },
  40: { name: 'WARN', style: 'yellow' },
  50: { name: 'ERROR', style: 'red' },
  60: { name: 'FATAL', style: ['bold', 'red'] }
}

/** Fields the line shows in its own way, or not at all. */
const SHOWN_APART = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'traceId', 'req', 'res', 'responseTime', 'err', 'event'])

export interface PrettyOptions {
  readonly colors: boolean
}

/** A pino destination that writes each record to `out` as a readable line. */
export function prettyStream (out: NodeJS.WritableStream, options: PrettyOptions): { write (line: string): void } {
  return {
    write (line) {
      let record: unknown
      try {
        record = JSON.parse(line)
      } catch {
        out.write(line)
        return
      }
      out.write(formatRecord(record as LogRecord, options))
    }
  }
}

/** One record as the terminal shows it (ending with a newline). */
export function formatRecord (record: LogRecord, { colors }: PrettyOptions): string {
  // Whether to colour is decided once, for the destination: styleText is not to second-guess it.
  const paint = (style: Style, text: string) => colors ? styleText(style, text, { validateStream: false }) : text
  if (record['event'] === 'ready') return banner(record, paint)
  const level = LEVELS[record['level'] as number] ?? { name: String(record['level']), style: 'white' }
  const traceId = typeof record['traceId'] === 'string' ? record['traceId'].slice(0, 8) : ''
  const parts = [
    paint('dim', clockTime(record['time'])),
    paint(level.style, level.name.padEnd(5)),
    paint('dim', traceId.padEnd(8)),
    message(record, paint)
  ]
  for (const [key, value] of Object.entries(record)) {
    if (!SHOWN_APART.has(key) && value !== undefined) parts.push(`${paint('cyan', key)}=${text(value)}`)
  }
  return `${parts.join(' ')}\n${stackOf(record['err'], paint)}`
}

type Paint = (style: Style, text: string) => string

function message (record: LogRecord, paint: Paint): string {
  const msg = String(record['msg'] ?? '')
  const req = record['req'] as { method?: string, url?: string } | undefined
  if (msg === 'incoming request' && req !== undefined) return `${paint('cyan', '→')} ${String(req.method)} ${String(req.url)}`
  const res = record['res'] as { statusCode?: number } | undefined
  if (msg === 'request completed' && res !== undefined) {
    const status = Number(res.statusCode)
    const style: Style = status >= 500 ? 'red' : status >= 400 ? 'yellow' : 'green'
    return `${paint('cyan', '←')} ${paint(style, String(status))} in ${Number(record['responseTime']).toFixed(1)} ms`
  }
  const err = record['err'] as { message?: string } | undefined
  return err?.message === undefined || err.message === msg ? msg : `${msg}: ${err.message}`
}

function stackOf (err: unknown, paint: Paint): string {
  const stack = (err as { stack?: unknown } | undefined)?.stack
  if (typeof stack !== 'string') return ''
  // The first line repeats the message, which the record's line already shows.
  const frames = stack.split('\n').slice(1)
  return frames.map((frame) => `${paint('dim', frame)}\n`).join('')
}

function banner (record: LogRecord, paint: Paint): string {
  const links = Object.entries(BANNER_LABELS).filter(([key]) => typeof record[key] === 'string')
  const width = Math.max(...links.map(([, label]) => label.length)) + 2
  const headline = String(record['msg']).split(': ', 1)[0] as string
  const rows = links.map(([key, label]) => `  ${paint('bold', `${label.charAt(0).toUpperCase()}${label.slice(1)}`.padEnd(width))}${record[key] as string}`)
  return `\n  ${paint(['bold', 'green'], headline)}\n\n${rows.join('\n')}\n\n`
}

function clockTime (time: unknown): string {
  const at = new Date(typeof time === 'number' ? time : Date.now())
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`
}

function text (value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  return JSON.stringify(value)
}

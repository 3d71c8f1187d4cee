/**
 * Logger options: pino JSON, pretty only when stdout is a terminal (and pino-pretty is installed).
 * Every line of a request carries its trace id as `traceId`. API keys are never logged: request
 * headers are not serialised, and the Authorization header is redacted wherever it could appear.
 */
import { createRequire } from 'node:module'
import { type FastifyServerOptions } from 'fastify'

const require = createRequire(import.meta.url)

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'request.headers.authorization',
  'authorization',
  'apiKey',
  'key'
]

function prettyAvailable (): boolean {
  try {
    require.resolve('pino-pretty')
    return true
  } catch {
    /* c8 ignore next 2 */ // production images install no dev dependencies
    return false
  }
}

export interface LoggerChoice {
  readonly level: string
  /** A destination stream (tests capture lines); stdout otherwise. */
  readonly stream?: NodeJS.WritableStream
  readonly pretty?: boolean
}

export function loggerOptions (choice: LoggerChoice): NonNullable<FastifyServerOptions['logger']> {
  const base = {
    level: choice.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' }
  }
  if (choice.stream !== undefined) return { ...base, stream: choice.stream }
  const pretty = choice.pretty ?? (process.stdout.isTTY && prettyAvailable())
  return pretty ? { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : base
}

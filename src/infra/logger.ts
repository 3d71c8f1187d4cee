/**
 * Logger options: pino JSON, pretty only when stdout is a terminal (and pino-pretty is installed).
 * Every line of a request carries its trace id as `traceId`. API keys are never logged: request
 * headers are not serialised, and the Authorization header is redacted wherever it could appear.
 */
import { createRequire } from 'node:module'
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

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
  /* c8 ignore start */ // production images install no dev dependencies
  } catch {
    return false
  }
  /* c8 ignore stop */
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

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type LogFn = (...args: unknown[]) => void

/**
 * A request's logger that becomes a pino child (with the request's trace id) only when it first
 * logs at an enabled level. Making a child costs more than the rest of a cached task read, and at
 * `warn` most requests never log.
 */
export class LazyRequestLogger {
  readonly #parent: Logger
  readonly #bindings: Bindings
  readonly #options: ChildLoggerOptions
  #child: FastifyBaseLogger | undefined

  constructor (parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  get level (): string {
    return this.#parent.level
  }

  // Methods, not arrow-function fields: one of these is made per request, and fields would be seven closures each.
  fatal (...args: unknown[]): void { this.#log('fatal', args) }
  error (...args: unknown[]): void { this.#log('error', args) }
  warn (...args: unknown[]): void { this.#log('warn', args) }
  info (...args: unknown[]): void { this.#log('info', args) }
  debug (...args: unknown[]): void { this.#log('debug', args) }
  trace (...args: unknown[]): void { this.#log('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }

  #real (): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options) as FastifyBaseLogger
    return this.#child
  }

  #log (level: Level, args: unknown[]): void {
    if (!this.#parent.isLevelEnabled(level)) return
    (this.#real()[level] as LogFn)(...args)
  }
}

export const lazyChildLoggerFactory = (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger =>
  new LazyRequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger

/**
 * Logger options: pino JSON lines, or readable lines on a terminal (infra/pretty-log.ts), as
 * `logFormat` says (auto: readable when the destination is a terminal). Every line of a request
 * carries its trace id as `traceId`. API keys are never logged: request headers are not
 * serialised, and the Authorization header is redacted wherever it could appear.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'
import { prettyStream } from './pretty-log.ts'

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'request.headers.authorization',
  'authorization',
  'apiKey',
  'key'
]

export type LogFormat = 'auto' | 'json' | 'pretty'

export interface LoggerChoice {
  readonly level: string
  /** A destination stream (tests capture lines); stdout otherwise. */
  readonly stream?: NodeJS.WritableStream
  /** auto (the default): readable lines when the destination is a terminal, JSON lines otherwise. */
  readonly format?: LogFormat
}

type Destination = NodeJS.WritableStream & { isTTY?: boolean, hasColors?: () => boolean }

export function loggerOptions (choice: LoggerChoice): NonNullable<FastifyServerOptions['logger']> {
  const base = {
    level: choice.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' }
  }
  const destination: Destination = choice.stream ?? process.stdout
  const format = choice.format ?? 'auto'
  if (format === 'pretty' || (format === 'auto' && destination.isTTY === true)) {
    return { ...base, stream: prettyStream(destination, { colors: destination.isTTY === true && destination.hasColors?.() === true }) }
  }
  // stdout: pino's own destination (sonic-boom on file descriptor 1), its fastest.
  return choice.stream === undefined ? base : { ...base, stream: choice.stream }
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

import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { LazyRequestLogger, lazyChildLoggerFactory, loggerOptions } from '../../src/infra/logger.ts'

t.test('a request logger becomes a child only when it logs at an enabled level', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const parent = pino({ level: 'warn' }, stream)
  const logger = lazyChildLoggerFactory(parent, { traceId: 't1' }, {}) as unknown as LazyRequestLogger
  t.type(logger, LazyRequestLogger)
  t.equal(logger.level, 'warn')
  for (const level of ['trace', 'debug', 'info'] as const) logger[level]('quiet')
  logger.silent()
  t.same(lines, [], 'nothing below the level')
  logger.warn({ a: 1 }, 'loud')
  logger.error('louder')
  logger.fatal('loudest')
  t.match(lines, [{ traceId: 't1', a: 1, msg: 'loud', level: 40 }, { traceId: 't1', msg: 'louder' }, { msg: 'loudest' }])
  logger.child({ sub: 2 }).warn('child')
  t.match(lines.at(-1), { traceId: 't1', sub: 2, msg: 'child' })
})

t.test('logger options: JSON by default, pretty on a terminal, a stream for tests', async (t) => {
  const tty = process.stdout.isTTY
  t.teardown(() => { process.stdout.isTTY = tty })
  process.stdout.isTTY = false
  t.notOk('transport' in (loggerOptions({ level: 'info' }) as object), 'JSON when stdout is not a terminal')
  process.stdout.isTTY = true
  t.match(loggerOptions({ level: 'info' }), { transport: { target: 'pino-pretty' } }, 'pretty on a terminal')
  t.notOk('transport' in (loggerOptions({ level: 'info', pretty: false }) as object))
  t.match(loggerOptions({ level: 'debug', stream: process.stderr }), { level: 'debug', stream: process.stderr, redact: { censor: '[redacted]' } })
})

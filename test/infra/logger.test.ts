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

t.test('logger options: JSON lines, or readable ones on a terminal, as logFormat says', async (t) => {
  const tty = process.stdout.isTTY
  t.teardown(() => { process.stdout.isTTY = tty })
  process.stdout.isTTY = false
  t.notOk('stream' in (loggerOptions({ level: 'info' }) as object), 'JSON through pino\'s own stdout when it is not a terminal')
  t.notOk('stream' in (loggerOptions({ level: 'info', format: 'auto' }) as object))
  process.stdout.isTTY = true
  t.ok('stream' in (loggerOptions({ level: 'info' }) as object), 'readable lines on a terminal')
  t.notOk('stream' in (loggerOptions({ level: 'info', format: 'json' }) as object), 'unless JSON is asked for')
  t.match(loggerOptions({ level: 'debug', stream: process.stderr, format: 'json' }), { level: 'debug', stream: process.stderr, redact: { censor: '[redacted]' } })

  // A destination of a test's own: a terminal with colours, or a plain stream asked for pretty lines.
  const written: string[] = []
  const terminal = Object.assign(new Writable({ write (chunk, _encoding, done) { written.push(String(chunk)); done() } }), { isTTY: true, hasColors: () => true })
  const pretty = loggerOptions({ level: 'info', stream: terminal }) as { stream: { write (line: string): void } }
  pretty.stream.write(JSON.stringify({ level: 30, time: 0, msg: 'hello' }) + '\n')
  t.match(written.at(-1), '\u001b[32mINFO \u001b[39m', 'coloured on a terminal that takes colours')
  t.match(written.at(-1), / hello\n$/)
  const plain = Object.assign(new Writable({ write (chunk, _encoding, done) { written.push(String(chunk)); done() } }), { isTTY: false })
  const asked = loggerOptions({ level: 'info', stream: plain, format: 'pretty' }) as { stream: { write (line: string): void } }
  asked.stream.write(JSON.stringify({ level: 30, time: 0, msg: 'hello' }) + '\n')
  t.match(written.at(-1), /^\d\d:\d\d:\d\d\.\d{3} INFO {11}hello\n$/, 'pretty when asked, without colours off a terminal')
  t.equal((loggerOptions({ level: 'info', stream: plain }) as { stream: unknown }).stream, plain, 'JSON to a stream that is not a terminal')
})

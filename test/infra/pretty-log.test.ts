/**
 * The terminal's log: each JSON record as one readable line, the ready record as a banner of where
 * everything is (a place listed only when its route exists), and error stacks under their line.
 */
import { Writable } from 'node:stream'
import t from 'tap'
import { readyRecord } from '../../src/infra/banner.ts'
import { formatRecord, prettyStream } from '../../src/infra/pretty-log.ts'
import { harness } from '../fixtures/harness.ts'

const plain = { colors: false }
const TIME = Date.UTC(2026, 0, 1, 12, 34, 56, 789)
const clock = (at: number) => {
  const d = new Date(at)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}
const TRACE = 'f8684f20-863a-4b7a-8acf-54250f3011cc'

t.test('a request reads as one line in, one line out, paired by the start of its trace id', async (t) => {
  t.equal(formatRecord({ level: 30, time: TIME, pid: 1, hostname: 'h', traceId: TRACE, req: { method: 'GET', url: '/v2/openapi/user/balance', host: 'localhost' }, msg: 'incoming request' }, plain),
    `${clock(TIME)} INFO  f8684f20 → GET /v2/openapi/user/balance\n`)
  t.equal(formatRecord({ level: 30, time: TIME, traceId: TRACE, res: { statusCode: 200 }, responseTime: 1.2345, msg: 'request completed' }, plain),
    `${clock(TIME)} INFO  f8684f20 ← 200 in 1.2 ms\n`)
  t.match(formatRecord({ level: 30, time: TIME, res: { statusCode: 404 }, responseTime: 3, msg: 'request completed' }, { colors: true }), '\u001b[33m404\u001b[39m', 'a 4xx in yellow')
  t.match(formatRecord({ level: 30, time: TIME, res: { statusCode: 500 }, responseTime: 3, msg: 'request completed' }, { colors: true }), '\u001b[31m500\u001b[39m', 'a 5xx in red')
  t.match(formatRecord({ level: 30, time: TIME, res: { statusCode: 201 }, responseTime: 3, msg: 'request completed' }, { colors: true }), '\u001b[32m201\u001b[39m')
})

t.test('other fields follow the message as key=value; strings quoted only when they must be', async (t) => {
  t.equal(formatRecord({ level: 30, time: TIME, traceId: TRACE, scenario: 'error-1001', selectedBy: 'header', detail: 'two words', empty: '', n: 3, list: ['a'], gone: undefined, msg: 'scenario rule fired' }, plain),
    `${clock(TIME)} INFO  f8684f20 scenario rule fired scenario=error-1001 selectedBy=header detail="two words" empty="" n=3 list=["a"]\n`)
  t.equal(formatRecord({ level: 40, time: TIME, msg: 'careful' }, plain), `${clock(TIME)} WARN           careful\n`, 'no trace id: a blank column')
  t.equal(formatRecord({ level: 20, msg: 'x', time: TIME }, plain).slice(13, 18), 'DEBUG')
  t.equal(formatRecord({ level: 10, msg: 'x', time: TIME }, plain).slice(13, 18), 'TRACE')
  t.equal(formatRecord({ level: 60, msg: 'x', time: TIME }, plain).slice(13, 18), 'FATAL')
  t.equal(formatRecord({ level: 35, msg: 'x', time: TIME }, plain).slice(13, 18), '35   ', 'a custom level by its number')
  t.match(formatRecord({ level: 30 }, plain), /^\d\d:\d\d:\d\d\.\d{3} INFO {11}\n$/, 'no time, no message: now, and nothing')
})

t.test('an error shows its message on the line and its stack below it', async (t) => {
  const err = { type: 'Error', message: 'the disk is on fire', stack: 'Error: the disk is on fire\n    at burn (a.js:1:1)\n    at main (b.js:2:2)' }
  t.equal(formatRecord({ level: 50, time: TIME, traceId: TRACE, err, msg: 'unexpected error' }, plain),
    `${clock(TIME)} ERROR f8684f20 unexpected error: the disk is on fire\n    at burn (a.js:1:1)\n    at main (b.js:2:2)\n`)
  t.equal(formatRecord({ level: 50, time: TIME, err: { message: 'same' }, msg: 'same' }, plain), `${clock(TIME)} ERROR          same\n`, 'a message said once')
})

t.test('the ready record is a banner of where everything is, each place listed when its route exists', async (t) => {
  const h = await harness(t)
  const ready = readyRecord(h.app, 'http://127.0.0.1:8080', 'tripo-mock', '1.2.3')
  t.same(ready.fields, {
    event: 'ready',
    api: 'http://127.0.0.1:8080/v3',
    v2: 'http://127.0.0.1:8080/v2/openapi',
    docs: 'http://127.0.0.1:8080/docs',
    control: 'http://127.0.0.1:8080/__mock',
    controlDocs: 'http://127.0.0.1:8080/__mock/docs',
    dashboard: 'http://127.0.0.1:8080/__mock/ui'
  })
  t.equal(ready.message, 'tripo-mock 1.2.3 ready: API http://127.0.0.1:8080/v3, API V2 (legacy) http://127.0.0.1:8080/v2/openapi, API docs http://127.0.0.1:8080/docs, ' +
    'control plane http://127.0.0.1:8080/__mock, control plane docs http://127.0.0.1:8080/__mock/docs, dashboard http://127.0.0.1:8080/__mock/ui')
  t.equal(formatRecord({ level: 30, time: TIME, ...ready.fields, msg: ready.message }, plain), [
    '',
    '  tripo-mock 1.2.3 ready',
    '',
    '  API                 http://127.0.0.1:8080/v3',
    '  API V2 (legacy)     http://127.0.0.1:8080/v2/openapi',
    '  API docs            http://127.0.0.1:8080/docs',
    '  Control plane       http://127.0.0.1:8080/__mock',
    '  Control plane docs  http://127.0.0.1:8080/__mock/docs',
    '  Dashboard           http://127.0.0.1:8080/__mock/ui',
    '',
    ''
  ].join('\n'))

  const off = await harness(t, { controlPlane: false })
  t.same(Object.keys(readyRecord(off.app, 'http://h', 'n', 'v').fields), ['event', 'api', 'v2', 'docs'], 'no control plane or dashboard lines when it is off: their routes are gone')
})

t.test('the stream writes each record as a line, and anything else as it came', async (t) => {
  let written = ''
  const out = new Writable({ write (chunk, _encoding, done) { written += String(chunk); done() } })
  const stream = prettyStream(out, plain)
  stream.write(`${JSON.stringify({ level: 30, time: TIME, msg: 'one' })}\n`)
  stream.write('not json\n')
  t.equal(written, `${clock(TIME)} INFO           one\nnot json\n`)
})

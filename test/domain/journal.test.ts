/**
 * The journal as a data structure: a bounded ring, newest first, filters, clearing one key.
 */
import t from 'tap'
import { Journal, type JournalEntry, shownHeaders } from '../../src/domain/journal.ts'

const entry = (n: number, overrides: Partial<JournalEntry> = {}): JournalEntry => ({
  time: n * 1000,
  traceId: `trace-${n}`,
  key: n % 2 === 0 ? 'tsk_even' : 'tsk_odd',
  operation: 'getTask',
  surface: 'v2',
  method: 'GET',
  path: `/v2/openapi/task/${n}`,
  status: 200,
  code: 0,
  injectedBy: null,
  latencyMs: 1,
  earlyRetry: false,
  url: `/v2/openapi/task/${n}`,
  requestHeaders: {},
  responseHeaders: {},
  ...overrides
})

const traces = (entries: JournalEntry[]) => entries.map((each) => each.traceId)

t.test('a bounded ring: the oldest entries go first, reads are newest first', async (t) => {
  const journal = new Journal(3)
  t.same(journal.find(), [])
  for (let n = 1; n <= 5; n++) journal.record(entry(n))
  t.same(traces(journal.find()), ['trace-5', 'trace-4', 'trace-3'])
  t.equal(journal.count(), 3)
  t.same(traces(journal.find({}, 2)), ['trace-5', 'trace-4'], 'limit')
})

t.test('filters combine', async (t) => {
  const journal = new Journal(100)
  for (let n = 1; n <= 10; n++) journal.record(entry(n, n === 7 ? { status: 429, code: 2000, operation: 'createTask', earlyRetry: true } : {}))
  t.same(traces(journal.find({ key: 'tsk_even' })), ['trace-10', 'trace-8', 'trace-6', 'trace-4', 'trace-2'])
  t.same(traces(journal.find({ key: 'tsk_eve' })), [], 'keys match exactly')
  t.same(traces(journal.find({ traceId: 'trace-3' })), ['trace-3'])
  t.same(traces(journal.find({ status: 429 })), ['trace-7'])
  t.same(traces(journal.find({ operation: 'createTask' })), ['trace-7'])
  t.same(traces(journal.find({ earlyRetry: true })), ['trace-7'])
  t.equal(journal.count({ earlyRetry: false }), 9)
  t.same(traces(journal.find({ since: 8000 })), ['trace-10', 'trace-9', 'trace-8'], 'since is inclusive')
  t.same(traces(journal.find({ since: 4000, key: 'tsk_odd', status: 200 })), ['trace-9', 'trace-5'])
})

t.test('clearing one key keeps the others in order; clearing all empties it', async (t) => {
  const journal = new Journal(4)
  for (let n = 1; n <= 6; n++) journal.record(entry(n))
  t.equal(journal.clear('tsk_odd'), 2)
  t.same(traces(journal.find()), ['trace-6', 'trace-4'])
  journal.record(entry(8))
  t.same(traces(journal.find()), ['trace-8', 'trace-6', 'trace-4'])
  t.equal(journal.clear('tsk_nobody'), 0)
  t.equal(journal.clear(), 3)
  t.equal(journal.count(), 0)
})

t.test('a journal of capacity 0 keeps nothing', async (t) => {
  const journal = new Journal(0)
  journal.record(entry(1))
  t.same(journal.find(), [])
  t.equal(journal.clear(), 0)
})

t.test('headers as shown: the bearer key masked, lists joined, nothing else touched', async (t) => {
  t.same(shownHeaders({ authorization: 'Bearer tsk_abcdefghijklmnop', accept: ['a', 'b'], 'content-length': 12, gone: undefined }), {
    authorization: 'Bearer tsk_abcd…mnop', accept: 'a, b', 'content-length': '12'
  })
  t.same(shownHeaders({ authorization: 'Basic dXNlcjpwYXNz' }), { authorization: 'Basic dXNlcjpwYXNz' }, 'not a bearer token: as sent')
})

t.test('text is searched in the URL, bodies (whole or cut short) and headers, in any case', async (t) => {
  const journal = new Journal(10)
  journal.record(entry(1, { requestBody: { text: 'The Whole Prompt', total: 900 } }))
  journal.record(entry(2, { responseBody: '{"code":2001}', responseHeaders: { 'retry-after': '7' } }))
  journal.record(entry(3, { url: '/v2/openapi/task/3?verbose=Yes' }))
  t.same(traces(journal.find({ text: 'whole prompt' })), ['trace-1'])
  t.same(traces(journal.find({ text: '2001' })), ['trace-2'])
  t.same(traces(journal.find({ text: 'RETRY-AFTER: 7' })), ['trace-2'])
  t.same(traces(journal.find({ text: 'verbose=yes' })), ['trace-3'])
  t.same(traces(journal.find({ text: 'nowhere' })), [])
})

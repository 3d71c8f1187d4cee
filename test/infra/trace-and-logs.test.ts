/**
 * X-Tripo-Trace-ID on every kind of response (a fresh UUID v4 each time), the same id in the
 * request's log lines, JSON envelopes (never HTML) everywhere, and no API key in the logs.
 */
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { clientErrorHandler } from '../../src/infra/error-handler.ts'
import { harness, bearer, KEY } from '../fixtures/harness.ts'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('every kind of response carries a fresh trace id and a JSON body', async (t) => {
  const h = await harness(t)
  const responses = {
    success: await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer() }),
    created: await h.createTask({ type: 'text_to_model', prompt: 'a cat' }),
    unauthorized: await h.app.inject({ url: '/v2/openapi/user/balance' }),
    notFoundTask: await h.getTask('missing'),
    unknownRoute: await h.app.inject({ url: '/v2/openapi/nothing/here', headers: bearer() }),
    unknownRoot: await h.app.inject({ url: '/' }),
    wrongMethod: await h.app.inject({ method: 'DELETE', url: '/v2/openapi/task/x', headers: bearer() }),
    malformed: await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), 'content-type': 'application/json' }, payload: '{' }),
    badUrl: await h.app.inject({ url: '/v2/openapi/task/%E0%A4%A', headers: bearer() })
  }
  const ids = new Set<string>()
  for (const [kind, response] of Object.entries(responses)) {
    const traceId = String(response.headers['x-tripo-trace-id'])
    t.match(traceId, UUID_V4, `${kind}: trace id is a UUID v4`)
    ids.add(traceId)
    t.match(response.headers['content-type'], /^application\/json/, `${kind}: JSON`)
    t.type(response.json().code, 'number', `${kind}: envelope`)
  }
  t.equal(ids.size, Object.keys(responses).length, 'never the same id twice')
  t.same(responses.unknownRoute.json(), { code: 9404, message: 'The requested route is not found', suggestion: 'Refer to the API documentation for available endpoints' })
  t.equal(responses.unknownRoute.statusCode, 404)
  t.equal(responses.wrongMethod.statusCode, 404)
  t.equal(responses.badUrl.statusCode, 400)
  t.equal(responses.badUrl.json().code, 1003)
})

t.test('log lines carry the trace id of their request, and never the API key', async (t) => {
  const h = await harness(t)
  const secret = `${KEY}_do_not_log`
  const response = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: bearer(secret), payload: { type: 'text_to_model', prompt: 'a cat' } })
  const traceId = response.headers['x-tripo-trace-id']
  const lines = h.logs.filter((line) => line['traceId'] === traceId)
  t.ok(lines.length >= 3, 'incoming, task created, completed')
  t.ok(lines.some((line) => line['msg'] === 'task created'))
  await h.app.inject({ url: '/v2/openapi/user/balance', headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret } })
  t.notOk(h.rawLogs().includes(secret), 'the key appears nowhere in the logs')
  t.notOk(h.rawLogs().includes('tsk_test_primary'), 'not even a prefix long enough to use')
})

t.test('an unreadable HTTP request gets the envelope and a trace id on the socket', async (t) => {
  const h = await harness(t)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as { port: number }
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /v2/openapi/user/balance HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n'))
    let data = ''
    socket.on('data', (chunk) => { data += String(chunk) })
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
  })
  t.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(raw, /\r\nX-Tripo-Trace-ID: [0-9a-f-]{36}\r\n/)
  t.match(raw, /\{"code":1003,"message":"The request body is malformed","suggestion":"Refer to the API documentation for request schema"\}$/)
})

t.test('a reset or already closed socket gets nothing written', async (t) => {
  const writes: string[] = []
  const socket = { destroyed: false, write: (text: string) => { writes.push(text) }, destroySoon: () => { writes.push('closed') } } as unknown as Socket
  clientErrorHandler(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket)
  clientErrorHandler(new Error('parse'), { ...socket, destroyed: true } as unknown as Socket)
  t.same(writes, [])
  clientErrorHandler(new Error('parse'), socket)
  t.match(writes[0], /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.equal(writes[1], 'closed', 'then the connection is closed, whether or not the client hangs up')
})

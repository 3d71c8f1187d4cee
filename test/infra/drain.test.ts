/**
 * Closing drains: a response in flight goes out whole and its keep-alive connection does not hold
 * the close; a request that arrives during the close is answered as usual, in the envelope with a
 * trace id, and told `Connection: close` (never Fastify's bare 503); connections hostile clients
 * leave open (half a request, an upgrade, a WebSocket that never answers) do not hold it.
 */
import { once } from 'node:events'
import { Agent, get as httpGet, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.ts'
import { activateScenario, addScenario } from '../../src/control/actions.ts'
import { loadConfig } from '../../src/infra/config.ts'
import { openHostileConnections } from '../fixtures/hostile-requests.ts'

const KEY = 'tsk_drain_test_key'

/**
 * The app on the manual clock, with a scenario that dribbles the balance's body in 4 pieces over
 * 400 ms: each piece after the first waits until the test advances the clock by 100 ms (the app's
 * close wakes one waiting piece too), so the answer is surely in flight when the close begins.
 */
async function slowBodyApp (t: Test) {
  const { app, services } = await buildApp({ config: loadConfig({ overrides: { clockMode: 'manual' } }), logger: false })
  t.teardown(() => app.close())
  addScenario(services, { name: 'slow-body', description: 'dribbled', rules: [{ match: { operation: 'getBalance' }, effect: { fault: { type: 'dribble', chunks: 4, duration: '400ms' } } }] })
  return { app, services }
}

t.test('a response in flight when the close begins goes out whole, and its connection does not hold the close', async (t) => {
  // Node's keep-alive timeout is Fastify's 72 s: a connection left to idle would fail this file.
  t.setTimeout(30_000)
  const { app, services } = await slowBodyApp(t)
  activateScenario(services, 'slow-body', true)
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    httpGet(`${base}/v2/openapi/user/balance`, { agent, headers: { authorization: `Bearer ${KEY}` } }, resolve).on('error', reject)
  })
  t.equal(response.headers['connection'], 'keep-alive', 'its headers went out before the close, offering keep-alive')

  const closed = app.close()
  const chunks: Buffer[] = []
  for await (const chunk of response) {
    chunks.push(chunk as Buffer)
    services.clock.advance(100)
  }
  const body = Buffer.concat(chunks)
  t.equal(body.length, Number(response.headers['content-length']), 'the whole body arrived')
  t.same(JSON.parse(String(body)), { code: 0, data: { balance: 10000, frozen: 0 } })
  await closed
  t.notOk(app.server.listening, 'closed, without waiting for the keep-alive timeout')
})

t.test('a request that arrives during the close is answered as usual: the envelope, a trace id, Connection: close', async (t) => {
  t.setTimeout(30_000)
  const { app, services } = await slowBodyApp(t)
  let closingBegun!: () => void
  let closingStarted = false
  const closing = new Promise<void>((resolve) => { closingBegun = resolve })
  app.addHook('preClose', (done) => {
    closingStarted = true
    closingBegun()
    done()
  })
  const base = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))

  // One connection: a dribbled answer keeps it busy while the close begins; a second request is then pipelined on it.
  const socket = connect(Number(base.port), '127.0.0.1')
  let received = ''
  const firstHeaders = new Promise<void>((resolve) => {
    socket.on('data', (chunk) => {
      received += String(chunk)
      // The rest of the dribbled answer goes out only once the close has begun.
      if (closingStarted) services.clock.advance(100)
      if (received.includes('\r\n\r\n')) resolve()
    })
  })
  const socketClosed = once(socket, 'close')
  const request = (headers: string) => `GET /v2/openapi/user/balance HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${KEY}\r\n${headers}\r\n`
  socket.write(request('X-Tripo-Mock-Scenario: slow-body\r\n'))
  await firstHeaders

  const closed = app.close()
  await closing
  socket.write(request(''))
  await socketClosed
  await closed

  const second = received.slice(received.indexOf('HTTP/1.1', 1))
  const [head = '', body = ''] = second.split('\r\n\r\n')
  t.match(head, /^HTTP\/1\.1 200 OK\r\n/, 'answered as usual, not 503')
  t.match(head, /\r\nx-tripo-trace-id: [0-9a-f-]{36}\r\n/i)
  t.match(head, /\r\nconnection: close\r\n/i, 'told to close the connection')
  t.same(JSON.parse(body), { code: 0, data: { balance: 10000, frozen: 0 } })
})

t.test('connections hostile or broken clients leave open do not hold the close', async (t) => {
  // Each of these held the close until Node's own timeouts (a minute or more), or for good.
  const { app } = await buildApp({ config: loadConfig({ overrides: { clockMode: 'manual' } }), logger: false })
  const base = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))
  const connections = await openHostileConnections(Number(base.port))
  await app.close()
  t.notOk(app.server.listening, 'closed')
  for (const [kind, { closed }] of connections) {
    await closed
    t.pass(`${kind}: ended by the server`)
  }
})

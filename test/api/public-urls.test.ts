/**
 * The URLs the emulator hands out (task outputs on both surfaces, the STS `s3_host`) start where
 * the client can use them: `publicUrl` when set; else the scheme and host the client reached, or
 * with `trustProxy` the proxy's X-Forwarded-Proto and X-Forwarded-Host; and a Host no URL can be
 * built on (or none) answers 1003, never a broken URL or a 500.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import t from 'tap'
import { bearer, harness, type Harness } from '../fixtures/harness.ts'

async function outputUrl (h: Harness, taskId: string, headers: Record<string, string>): Promise<string> {
  const response = await h.app.inject({ url: `/v2/openapi/task/${taskId}`, headers: { ...bearer(), ...headers } })
  t.equal(response.statusCode, 200, response.body)
  return (response.json() as { data: { output: { pbr_model: string } } }).data.output.pbr_model
}

async function s3Host (h: Harness, headers: Record<string, string>): Promise<string> {
  const response = await h.app.inject({ method: 'POST', url: '/v2/openapi/upload/sts/token', headers: { ...bearer(), ...headers }, payload: { format: 'png' } })
  t.equal(response.statusCode, 200, response.body)
  return (response.json() as { data: { s3_host: string } }).data.s3_host
}

const textured = { type: 'text_to_model', prompt: 'a lamp' }
const forwarded = { host: 'tripo-mock:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'models.example:8443' }

t.test('behind a trusted proxy, URLs take its scheme and host', async (t) => {
  const h = await harness(t, { trustProxy: true })
  const id = await h.finishedTask(textured)
  t.match(await outputUrl(h, id, forwarded), /^https:\/\/models\.example:8443\/files\/[0-9a-f-]+\/textured\.glb\?Expires=/)
  t.equal(await s3Host(h, forwarded), 'models.example:8443', 'STS points at the proxy too')
  t.match(await outputUrl(h, id, { ...forwarded, 'x-forwarded-proto': 'http, https', 'x-forwarded-host': 'inner.example, models.example' }), /^https:\/\/models\.example\/files\//, 'several proxies: the last one, nearest the emulator')
  t.match(await outputUrl(h, id, { host: 'tripo-mock:8080' }), /^http:\/\/tripo-mock:8080\/files\//, 'no forwarded headers: the Host')

  // V3 signs its outputs and upload URLs through the same place.
  const v3 = await h.app.inject({ url: `/v3/tasks/${id}`, headers: { ...bearer(), ...forwarded } })
  t.match((v3.json() as { data: { output: { model_url: string } } }).data.output.model_url, /^https:\/\/models\.example:8443\/files\//, 'a V3 read too')
})

t.test('without trustProxy, forwarded headers are ignored: any client could send them', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask(textured)
  t.match(await outputUrl(h, id, forwarded), /^http:\/\/tripo-mock:8080\/files\//)
  t.equal(await s3Host(h, forwarded), 'tripo-mock:8080')
})

t.test('publicUrl wins over the request, trailing slashes and all', async (t) => {
  const h = await harness(t, { trustProxy: true, publicUrl: 'http://localhost:8080//' })
  const id = await h.finishedTask(textured)
  t.match(await outputUrl(h, id, forwarded), /^http:\/\/localhost:8080\/files\//)
  t.equal(await s3Host(h, forwarded), 'localhost:8080')
  const other = await harness(t, { publicUrl: 'https://cdn.example/tripo' })
  t.match(await outputUrl(other, await other.finishedTask(textured), {}), /^https:\/\/cdn\.example\/tripo\/files\//, 'each emulator its own publicUrl')
  t.match(await outputUrl(h, id, {}), /^http:\/\/localhost:8080\/files\//)
})

t.test('a Host or forwarded header no URL can be built on is the client\'s mistake: 1003, never a broken URL', async (t) => {
  const h = await harness(t, { trustProxy: true })
  const id = await h.finishedTask(textured)
  const unusable: Array<Record<string, string>> = [{ host: 'a b' }, { host: 'tripo-mock/files' }, { host: 'tripo-mock:99999' }, { host: 'user@tripo-mock' }, { host: 'x', 'x-forwarded-proto': 'ftp' }, { host: 'x', 'x-forwarded-host': 'a?b' }, { host: 'x/' }]
  for (const headers of unusable) {
    for (const request of [
      { url: `/v2/openapi/task/${id}` },
      { url: `/v3/tasks/${id}` },
      { method: 'POST' as const, url: '/v2/openapi/upload/sts/token', payload: { format: 'png' } }
    ]) {
      const answer = await h.app.inject({ ...request, headers: { ...bearer(), ...headers } })
      t.equal(answer.statusCode, 400, `${request.url} with ${JSON.stringify(headers)}`)
      t.equal((answer.json() as { code: number }).code, 1003)
    }
  }
})

t.test('a request without Host (HTTP/1.0 allows it): 1003 too', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask(textured)
  const { port } = new URL(await h.listen())
  const socket = connect(Number(port), '127.0.0.1')
  socket.end(`GET /v2/openapi/task/${id} HTTP/1.0\r\nAuthorization: ${bearer().authorization}\r\n\r\n`)
  let answer = ''
  socket.on('data', (chunk) => { answer += String(chunk) })
  await once(socket, 'close')
  t.match(answer, /^HTTP\/1\.1 400 /)
  t.match(answer, /\{"code":1003,/)
})

t.test('many hosts: each URL stays right as the remembered bases are forgotten', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask(textured)
  for (let n = 0; n < 70; n++) t.match(await outputUrl(h, id, { host: `host-${n}.example` }), new RegExp(`^http://host-${n}\\.example/files/`))
  t.match(await outputUrl(h, id, { host: 'host-0.example' }), /^http:\/\/host-0\.example\/files\//)
})

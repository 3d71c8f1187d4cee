/**
 * A Tripo webhook receiver, as small as one can be and still right:
 * - it verifies `Tripo-Webhook-Signature` against the raw body, before parsing it: the HMAC-SHA256
 *   of "<t>.<body>" keyed with the endpoint's whole `whsec_...` secret, every `v1` tried (a rotated
 *   secret sends two), compared in constant time, `t` within five minutes of its own clock; it
 *   answers 400 to what fails (in a Node test, tripo-mock's `verifyWebhookSignature` does the same);
 * - it keeps each delivery once (`Tripo-Webhook-Delivery` is the same on every retry), so a
 *   duplicate or a resend changes nothing;
 * - it answers 2xx at once and would do the work afterwards.
 * It prints one JSON line per delivery, answers GET /health (a health check's), and needs nothing
 * but Node. Environment: PORT (default 3000; 0 for any free port) and TRIPO_WEBHOOK_SECRET.
 *
 *   TRIPO_WEBHOOK_SECRET=whsec_... node examples/webhook-receiver.mjs
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'

const secret = process.env.TRIPO_WEBHOOK_SECRET
if (secret === undefined || secret === '') {
  console.error('webhook-receiver: set TRIPO_WEBHOOK_SECRET to the endpoint\'s whsec_... secret')
  process.exit(1)
}

const TOLERANCE_SECONDS = 5 * 60

/** 'valid', or why not: 'missing', 'malformed', 'stale', 'mismatch'. */
function verifySignature (body, header, secret) {
  if (typeof header !== 'string' || header === '') return 'missing'
  const fields = header.split(',').map((field) => field.trim().split('='))
  const t = fields.find(([name]) => name === 't')?.[1]
  const signatures = fields.filter(([name, value]) => name === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '')).map(([, value]) => Buffer.from(value, 'hex'))
  if (t === undefined || !/^\d+$/.test(t) || signatures.length === 0) return 'malformed'
  if (Math.abs(Date.now() / 1000 - Number(t)) > TOLERANCE_SECONDS) return 'stale'
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest()
  return signatures.some((signature) => timingSafeEqual(signature, expected)) ? 'valid' : 'mismatch'
}

// A real receiver keeps these in its database, with the work they started.
const seen = new Set()

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    return
  }
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks)
    const delivery = request.headers['tripo-webhook-delivery']
    const verdict = verifySignature(body, request.headers['tripo-webhook-signature'], secret)
    if (verdict !== 'valid') {
      console.log(JSON.stringify({ refused: verdict, delivery }))
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`signature ${verdict}`)
      return
    }
    if (seen.has(delivery)) {
      console.log(JSON.stringify({ duplicate: delivery }))
      response.writeHead(200).end('already received')
      return
    }
    seen.add(delivery)
    const event = JSON.parse(body.toString('utf8'))
    console.log(JSON.stringify({ received: event.type, id: event.id, delivery, status: event.data.status ?? null }))
    response.writeHead(200).end('ok')
  })
})

server.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(JSON.stringify({ listening: server.address().port }))
})

// docker stop sends SIGTERM; as PID 1, node would otherwise ignore it.
process.on('SIGTERM', () => { server.close(() => process.exit(0)) })

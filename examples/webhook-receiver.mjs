/**
 * A Tripo webhook receiver, as small as one can be and still right:
 * - it verifies `Tripo-Webhook-Signature` against the raw body, before parsing it, with the
 *   endpoint's whole `whsec_...` secret (tripo-mock's `verifyWebhookSignature`: five minutes of
 *   tolerance, every `v1` tried, compared in constant time), and answers 400 to what fails;
 * - it keeps each delivery once (`Tripo-Webhook-Delivery` is the same on every retry), so a
 *   duplicate or a resend changes nothing;
 * - it answers 2xx at once and would do the work afterwards.
 * It prints one JSON line per request. Environment: PORT (default 3000; 0 for any free port) and
 * TRIPO_WEBHOOK_SECRET.
 *
 *   TRIPO_WEBHOOK_SECRET=whsec_... node examples/webhook-receiver.mjs
 */
import { createServer } from 'node:http'
import { verifyWebhookSignature } from 'tripo-mock'

const secret = process.env.TRIPO_WEBHOOK_SECRET
if (secret === undefined || secret === '') {
  console.error('webhook-receiver: set TRIPO_WEBHOOK_SECRET to the endpoint\'s whsec_... secret')
  process.exit(1)
}

// A real receiver keeps these in its database, with the work they started.
const seen = new Set()

const server = createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks)
    const delivery = request.headers['tripo-webhook-delivery']
    const verdict = verifyWebhookSignature(body, request.headers['tripo-webhook-signature'], secret)
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

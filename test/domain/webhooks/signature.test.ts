/**
 * The exported signature check, against signatures made here by hand with node:crypto (not with
 * the module's own signer): the rules of V3 reference §5, one by one.
 */
import { createHmac } from 'node:crypto'
import t from 'tap'
import { signatureHeader, verifyWebhookSignature } from '../../../src/domain/webhooks/signature.ts'

const SECRET = 'whsec_c2VjcmV0LWZvci10ZXN0cw'
const BODY = '{"id":"task-1:task.completed","type":"task.completed","created_at":"2026-01-01T00:00:06.000Z","data":{}}'
const NOW = Date.UTC(2026, 0, 1, 12)
const T = NOW / 1000

const hmac = (secret: string, timestamp: string | number, body: string) => createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`, 'utf8').digest('hex')
const verify = (header: string | null | undefined, options: { now?: number | Date, toleranceSeconds?: number } = { now: NOW }, body: string | Uint8Array = BODY) =>
  verifyWebhookSignature(body, header, SECRET, options)

t.test('a matching v1 within five minutes is valid', async (t) => {
  t.equal(verify(`t=${T},v1=${hmac(SECRET, T, BODY)}`), 'valid')
  t.equal(verify(`t=${T},v1=${hmac(SECRET, T, BODY)}`, { now: new Date(NOW) }), 'valid', 'now as a Date')
  t.equal(verify(`t=${T},v1=${hmac(SECRET, T, BODY)}`, { now: NOW }, Buffer.from(BODY)), 'valid', 'the raw body as bytes')
  t.equal(verify(` t=${T} , , v1=${hmac(SECRET, T, BODY)} ,`), 'valid', 'parts are trimmed; empty ones skipped')
  t.equal(verify(`v0=zzz,t=${T},v1=${hmac(SECRET, T, BODY).toUpperCase()}`), 'valid', 'other names ignored; hex in either case')
  t.equal(verify(`t=${T},v1=${hmac('whsec_old', T, BODY)},v1=${hmac(SECRET, T, BODY)}`), 'valid', 'rotation: any v1 may match')
  t.equal(verify(`t=0${T},v1=${hmac(SECRET, `0${T}`, BODY)}`), 'valid', 'the timestamp is signed as written')
  const wallT = Math.floor(Date.now() / 1000)
  t.equal(verifyWebhookSignature(BODY, `t=${wallT},v1=${hmac(SECRET, wallT, BODY)}`, SECRET), 'valid', 'by default, against the wall clock')
})

t.test('the module signs the same way', async (t) => {
  t.equal(signatureHeader(T, BODY, [SECRET, 'whsec_two']), `t=${T},v1=${hmac(SECRET, T, BODY)},v1=${hmac('whsec_two', T, BODY)}`)
})

t.test('a malformed header is refused before anything is compared', async (t) => {
  const good = hmac(SECRET, T, BODY)
  for (const header of [undefined, null, '', 'garbage', `t=${T}`, `v1=${good}`, `t=,v1=${good}`, `t=${T},v1=`, `=${T},v1=${good}`, `t=12a,v1=${good}`, `t=-1,v1=${good}`, `t=${T},v1=${good},flag`, `t=1234567890123456,v1=${good}`]) {
    t.equal(verify(header), 'malformed', JSON.stringify(header))
  }
})

t.test('a timestamp further than the tolerance either way is stale', async (t) => {
  const at = (seconds: number) => `t=${seconds},v1=${hmac(SECRET, seconds, BODY)}`
  t.equal(verify(at(T - 300)), 'valid', 'five minutes old')
  t.equal(verify(at(T - 301)), 'stale')
  t.equal(verify(at(T + 300)), 'valid', 'five minutes ahead')
  t.equal(verify(at(T + 301)), 'stale')
  t.equal(verify(at(T - 600), { now: NOW, toleranceSeconds: 900 }), 'valid', 'a tolerance of one\'s own')
  t.equal(verify(at(T - 1), { now: NOW, toleranceSeconds: 0 }), 'stale')
})

t.test('no v1 that matches: another secret, a changed body, a v1 that is not hex', async (t) => {
  t.equal(verify(`t=${T},v1=${hmac('whsec_other', T, BODY)}`), 'mismatch')
  t.equal(verify(`t=${T},v1=${hmac(SECRET, T, BODY)}`, { now: NOW }, BODY.replace('completed', 'failed')), 'mismatch', 'the body was changed')
  t.equal(verify(`t=${T},v1=${hmac(SECRET, T + 1, BODY)}`), 'mismatch', 'signed for another t')
  t.equal(verify(`t=${T},v1=${hmac(SECRET, T, BODY).slice(2)}`), 'mismatch', 'too short')
  t.equal(verify(`t=${T},v1=${'g'.repeat(64)}`), 'mismatch', 'not hex')
  t.equal(verify(`t=${T},v1=${hmac(SECRET.slice('whsec_'.length), T, BODY)}`), 'mismatch', 'keyed without the whsec_ prefix: wrong')
})

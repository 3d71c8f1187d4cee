/**
 * Webhook attempts over HTTP: one POST on a connection of its own (node:http(s) without an agent,
 * so `Connection: close`), no redirect followed (a 3xx is an answer that is not a 2xx), at most
 * `timeoutMs` of wall time for the answer and the start of its body, of which an excerpt is kept.
 * It resolves with what came back or what went wrong, and never rejects. `close()` aborts what is
 * in flight (the app is closing).
 *
 * Not `fetch`: undici keeps connections alive between requests, and an attempt that goes out on
 * a pooled socket the receiver has just closed (a test's receiver restarted) fails for a reason of
 * the sender's own ("other side closed"). A connection per attempt keeps every attempt on its own.
 */
import { type IncomingMessage, request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { WebhookRequest, WebhookResponse, WebhookTransport } from '../domain/webhooks/model.ts'

/** How much of a receiver's answer is kept (UTF-8 bytes). */
export const RESPONSE_EXCERPT_BYTES = 512

export interface HttpWebhookTransport extends WebhookTransport {
  close (): void
}

export function createWebhookTransport (options: { readonly timeoutMs: number, readonly userAgent: string }): HttpWebhookTransport {
  const inFlight = new Set<AbortController>()
  return {
    send (request: WebhookRequest): Promise<WebhookResponse> {
      return new Promise((resolve) => {
        const controller = new AbortController()
        inFlight.add(controller)
        const timer = setTimeout(() => { controller.abort(new Error(`timed out after ${options.timeoutMs} ms`)) }, options.timeoutMs)
        const started = performance.now()
        let settled = false
        const settle = (outcome: Omit<WebhookResponse, 'latencyMs'>): void => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          inFlight.delete(controller)
          resolve({ ...outcome, latencyMs: Math.round((performance.now() - started) * 1000) / 1000 })
        }
        const fail = (error: Error): void => {
          // An abort says why through the signal (timed out, closing); anything else is the socket's own error.
          settle({ body: '', error: controller.signal.aborted ? (controller.signal.reason as Error).message : error.message })
        }
        const url = new URL(request.url)
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest
        const outgoing = send(url, {
          method: 'POST',
          agent: false,
          headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body), 'user-agent': options.userAgent },
          signal: controller.signal
        }, (response) => { readExcerpt(response, (body) => { settle({ status: response.statusCode as number, body }) }, fail) })
        outgoing.on('error', fail)
        outgoing.end(request.body)
      })
    },
    close () {
      for (const controller of inFlight) controller.abort(new Error('the emulator is closing'))
    }
  }
}

/** The first bytes of the answer; the rest is not waited for. */
function readExcerpt (response: IncomingMessage, done: (body: string) => void, fail: (error: Error) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  const finish = (): void => { done(Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8')) }
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    size += chunk.length
    if (size < RESPONSE_EXCERPT_BYTES) return
    finish()
    response.destroy()
  })
  response.on('end', finish)
  response.on('error', fail)
}

/**
 * Webhook attempts over HTTP, with Node's own `fetch` (undici): one POST, no redirects followed (a
 * 3xx is an answer that is not a 2xx), at most `timeoutMs` of wall time for the answer and the
 * start of its body, of which an excerpt is kept. It resolves with what came back or what went
 * wrong, and never rejects. `close()` aborts whatever is in flight (the app is closing).
 */
import type { WebhookRequest, WebhookResponse, WebhookTransport } from '../domain/webhooks/model.ts'

/** How much of a receiver's answer is kept (UTF-8 bytes). */
export const RESPONSE_EXCERPT_BYTES = 512

export interface HttpWebhookTransport extends WebhookTransport {
  close (): void
}

export function createWebhookTransport (options: { readonly timeoutMs: number, readonly userAgent: string }): HttpWebhookTransport {
  const inFlight = new Set<AbortController>()
  return {
    async send (request: WebhookRequest): Promise<WebhookResponse> {
      const controller = new AbortController()
      inFlight.add(controller)
      const timer = setTimeout(() => { controller.abort(new Error(`timed out after ${options.timeoutMs} ms`)) }, options.timeoutMs)
      const started = performance.now()
      const latency = () => Math.round((performance.now() - started) * 1000) / 1000
      try {
        const response = await fetch(request.url, {
          method: 'POST',
          headers: { ...request.headers, 'user-agent': options.userAgent },
          body: request.body,
          redirect: 'manual',
          signal: controller.signal
        })
        const body = await excerptOf(response)
        return { status: response.status, latencyMs: latency(), body }
      } catch (error) {
        return { latencyMs: latency(), body: '', error: describe(controller.signal.aborted ? controller.signal.reason : error) }
      } finally {
        clearTimeout(timer)
        inFlight.delete(controller)
      }
    },
    close () {
      for (const controller of inFlight) controller.abort(new Error('the emulator is closing'))
    }
  }
}

/** The first bytes of the answer; the rest is not waited for. */
async function excerptOf (response: Response): Promise<string> {
  // 204, 205 and 304 have no body at all.
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  while (size < RESPONSE_EXCERPT_BYTES) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
  }
  if (size >= RESPONSE_EXCERPT_BYTES) await reader.cancel()
  return Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8')
}

/** `fetch failed` says little: its cause says what happened (ECONNREFUSED, a reset, a bad host). */
function describe (error: unknown): string {
  const cause = (error as { cause?: unknown }).cause
  const message = (error as Error).message
  return cause instanceof Error ? `${message}: ${cause.message}` : message
}

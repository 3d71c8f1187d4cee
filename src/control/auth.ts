/**
 * The control token: when `controlToken` is set, every control route but health, readiness and
 * the docs wants `Authorization: Bearer <token>` (401/9401 otherwise). The emulated API never does.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestHookHandler } from 'fastify'
import { bearerKey } from '../api/auth.ts'
import { ApiError } from '../domain/errors.ts'

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/** The hook that checks the token (hashes compared in constant time), or undefined when no token is set. */
export function controlTokenCheck (token: string): onRequestHookHandler | undefined {
  if (token === '') return undefined
  const expected = digest(token)
  return (request, _reply, done) => {
    const given = bearerKey(request)
    if (given === undefined) return done(new ApiError('MOCK_UNAUTHORIZED', { detail: 'Authorization: Bearer <control token> is missing' }))
    if (!timingSafeEqual(digest(given), expected)) return done(new ApiError('MOCK_UNAUTHORIZED', { detail: 'the control token does not match' }))
    done()
  }
}

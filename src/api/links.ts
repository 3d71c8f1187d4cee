/**
 * Absolute, signed URLs for a task's outputs, served by the emulator's own file routes:
 * `/files/<task_id>/<asset>` for the sample assets, `/files/<task_id>/imported.<ext>` for an
 * imported model file. Both surfaces sign their outputs here. `baseUrlOf` is the one place that
 * decides which base every URL the emulator hands out starts with (outputs, upload URLs, the STS
 * `s3_host`).
 */
import type { FastifyRequest } from 'fastify'
import { ApiError } from '../domain/errors.ts'
import type { TaskRecord } from '../domain/task.ts'
import type { OutputValue } from '../domain/task-types/index.ts'
import type { Services } from '../services.ts'

/** Builds the absolute, signed URL of one downloadable output. */
export type LinkFor = (task: TaskRecord, value: Exclude<OutputValue, { value: unknown } | { views: unknown }>) => string

export const FILES_PREFIX = '/files'

/**
 * The configured public URL (checked at start: http or https), or the scheme and host the client
 * reached: its Host header, or with `trustProxy` the proxy's X-Forwarded-Proto and
 * X-Forwarded-Host. A Host, or forwarded header, no URL can be built on (none, `a b`, `[::1`, a
 * path) is the client's mistake: 1003, as for any request Node cannot read, never a broken URL or
 * a 500.
 */
export function baseUrlOf (services: Services, request: FastifyRequest): string {
  const { publicUrl } = services.config
  if (publicUrl !== '') return publicBase(publicUrl)
  // Every read of a task asks: a known base is one lookup; a new one is parsed once.
  const reached = `${request.protocol}://${request.host}`
  return checkedBases.get(reached) ?? checkBase(reached)
}

const checkedBases = new Map<string, string>()
/** Distinct bases remembered; a client inventing Host headers only makes this forget sooner. */
const CHECKED_BASES_MAX = 64

function checkBase (reached: string): string {
  // No Host at all (HTTP/1.0 allows it) leaves "http://", which no URL is built on either.
  if (!isPlainOrigin(reached)) throw new ApiError('MALFORMED_BODY', { detail: `no URL can be built on ${reached}` })
  if (checkedBases.size >= CHECKED_BASES_MAX) checkedBases.clear()
  checkedBases.set(reached, reached)
  return reached
}

/** http(s)://host[:port], with nothing else: no path, query, fragment or credentials. */
function isPlainOrigin (candidate: string): boolean {
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    return false
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '' && url.username === '' && url.password === '' &&
    url.pathname === '/' && url.search === '' && url.hash === '' && !candidate.endsWith('/')
}

let lastPublicUrl = ''
let lastPublicBase = ''

/** The public URL without its trailing slashes (worked out once, not per request). */
function publicBase (publicUrl: string): string {
  if (publicUrl !== lastPublicUrl) {
    lastPublicUrl = publicUrl
    lastPublicBase = publicUrl.replace(/\/+$/, '')
  }
  return lastPublicBase
}

/** `host[:port]` of the S3 endpoint STS credentials point at: that of `baseUrlOf`. */
export function s3HostOf (services: Services, request: FastifyRequest): string {
  return new URL(baseUrlOf(services, request)).host
}

export function outputPath (taskId: string, name: string): string {
  return `${FILES_PREFIX}/${taskId}/${name}`
}

/** Signs output URLs under `base` (from `baseUrlOf`). */
export function linkMaker (services: Services, base: string): LinkFor {
  return (task, value) => {
    const path = outputPath(task.id, 'asset' in value ? value.asset : `imported.${value.ext}`)
    return `${base}${path}?${services.signer.sign(path, task.delivery?.urlExpiresIn)}`
  }
}

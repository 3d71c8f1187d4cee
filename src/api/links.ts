/**
 * Absolute, signed URLs for a task's outputs, served by the emulator's own file routes:
 * `/files/<task_id>/<asset>` for the sample assets, `/files/<task_id>/imported.<ext>` for an
 * imported model file. The host is the configured public URL, or the one the client reached.
 * Both surfaces sign their outputs here.
 */
import type { FastifyRequest } from 'fastify'
import { ApiError } from '../domain/errors.ts'
import type { TaskRecord } from '../domain/task.ts'
import type { OutputValue } from '../domain/task-types/index.ts'
import type { Services } from '../services.ts'

/** Builds the absolute, signed URL of one downloadable output. */
export type LinkFor = (task: TaskRecord, value: Exclude<OutputValue, { value: unknown } | { views: unknown }>) => string

export const FILES_PREFIX = '/files'

export function baseUrlOf (services: Services, request: FastifyRequest): string {
  return services.config.publicUrl !== '' ? services.config.publicUrl.replace(/\/+$/, '') : `${request.protocol}://${request.host}`
}

/**
 * `host[:port]` of the S3 endpoint STS credentials point at: `publicUrl`'s, or the Host the client
 * reached. A Host header no URL can be built on (`a b`, `[::1`) is the client's mistake: 1003, as
 * for any request Node cannot read, never a 500.
 */
export function s3HostOf (services: Services, request: FastifyRequest): string {
  const base = baseUrlOf(services, request)
  try {
    return new URL(base).host
  } catch {
    throw new ApiError('MALFORMED_BODY', { detail: `no URL can be built on ${base}` })
  }
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

/**
 * Absolute, signed URLs for a task's outputs, served by the emulator's own file routes:
 * `/files/<task_id>/<asset>` for the sample assets, `/files/<task_id>/imported.<ext>` for an
 * imported model file. The host is the configured public URL, or the one the client reached.
 * Both surfaces sign their outputs here.
 */
import type { FastifyRequest } from 'fastify'
import type { TaskRecord } from '../domain/task.ts'
import type { OutputValue } from '../domain/task-types/index.ts'
import type { Services } from '../services.ts'

/** Builds the absolute, signed URL of one downloadable output. */
export type LinkFor = (task: TaskRecord, value: Exclude<OutputValue, { value: unknown } | { views: unknown }>) => string

export const FILES_PREFIX = '/files'

export function baseUrlOf (services: Services, request: FastifyRequest): string {
  return services.config.publicUrl !== '' ? services.config.publicUrl.replace(/\/+$/, '') : `${request.protocol}://${request.host}`
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

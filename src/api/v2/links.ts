/**
 * Absolute, signed URLs for a task's outputs, served by the emulator's own file routes:
 * `/files/<task_id>/<asset>` for the sample assets, `/files/<task_id>/imported.<ext>` for a model
 * imported through STS. The host is the configured public URL, or the one the client reached.
 */
import type { FastifyRequest } from 'fastify'
import type { Services } from '../../services.ts'
import type { LinkFor } from './task-wire.ts'

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

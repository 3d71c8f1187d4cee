/**
 * Small builders for the task parameter schemas. The schemas are plain JSON Schema (TypeBox), so the
 * same objects validate requests, type the handlers and describe the API in OpenAPI.
 */
import { Type, type TUnsafe, type TSchemaOptions } from 'typebox'

/** A string enum rendered as `{"type":"string","enum":[...]}` (cleaner in OpenAPI than anyOf). */
export function StringEnum<const T extends readonly string[]> (values: T, options: TSchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

const ObjectRefSchema = Type.Object({
  bucket: Type.String({ minLength: 1, description: 'Bucket returned by /upload/sts/token (normally tripo-data)' }),
  key: Type.String({ minLength: 1, description: 'Object key returned by /upload/sts/token as resource_uri' })
}, { additionalProperties: false })

/**
 * A file reference (reference §3.1): exactly one of `file_token`, `url`, `object` (or the legacy
 * base64 `data`). `type` is advisory ("currently not validated"). Exclusivity is a rule, checked
 * by the file resolver, so that the error is the documented one.
 */
export const FileRefSchema = Type.Object({
  type: Type.Optional(Type.String({ description: 'File type, e.g. jpg, png, webp, glb. Advisory.' })),
  file_token: Type.Optional(Type.String({ minLength: 1, description: 'image_token from /upload or /upload/sts' })),
  url: Type.Optional(Type.String({ minLength: 1, description: 'Direct image URL (JPEG or PNG); not fetched by the emulator' })),
  object: Type.Optional(ObjectRefSchema),
  data: Type.Optional(Type.String({ minLength: 1, description: 'Legacy base64 file content' }))
}, { description: 'A file: one of file_token, url or object' })

export type FileRef = {
  type?: string
  file_token?: string
  url?: string
  object?: { bucket: string, key: string }
  data?: string
  /** V3 only: a file taken from a task's output (a V3 `input` naming a task id). */
  task_id?: string
}

/** The fields every task type accepts (reference §3.3). */
export const commonParameters = {
  priority: Type.Optional(Type.Integer({ description: 'Queue priority 1-3; above the key\'s entitlement answers 2013' })),
  parameters: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Parsed but unused on V2' })),
  enable_audit: Type.Optional(Type.Boolean({ description: 'Moderation toggle (account-gated)' }))
}

export const Seed = (description: string) => Type.Integer({ minimum: -2147483648, maximum: 2147483647, description })

export const Prompt = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, description })

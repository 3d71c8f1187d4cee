/**
 * The `files` section of a snapshot: upload tokens (V2 image tokens, V3 `file_` tokens, presigned
 * uploads), STS and presign credentials, and the objects put with them, their bytes in base64. An
 * import keeps them as the store keeps its own: in expiry order, within `maxUploads` and
 * `maxObjectBytes` (the oldest go first), and rebuilds the store's byte count.
 */
import { Type, type Static } from 'typebox'
import { etagOf, type FileEntries, type FileStore, type StoredObject, type StsCredentials, type Upload } from '../files.ts'
import { StringEnum } from '../task-types/schema-kit.ts'
import { fieldPath, type ImportContext, StateError, type StatePart } from './registry.ts'

const Strict = { additionalProperties: false } as const
const Owner = Type.String({ minLength: 1, description: 'The API key it belongs to' })
const ExpiresAt = Type.Number({ description: 'an instant (epoch ms, on the snapshot\'s clock)' })
const ObjectRef = Type.Object({ bucket: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, Strict)

const UploadSchema = Type.Object({
  token: Type.String({ minLength: 1 }),
  owner: Owner,
  kind: Type.Optional(StringEnum(['image', 'model'] as const, { description: 'A direct upload\'s kind; absent when the bytes are in `object`' })),
  object: Type.Optional({ ...ObjectRef, description: 'Where its bytes are (V3 model uploads, presigned uploads, which may not be put yet)' }),
  expiresAt: ExpiresAt
}, Strict)

const CredentialsSchema = Type.Object({
  accessKeyId: Type.String({ minLength: 1 }),
  owner: Owner,
  secretAccessKey: Type.String({ minLength: 1 }),
  sessionToken: Type.String({ minLength: 1 }),
  bucket: Type.String({ minLength: 1 }),
  key: Type.String({ minLength: 1 }),
  maxBytes: Type.Integer({ minimum: 0 }),
  expiresAt: ExpiresAt
}, Strict)

const ObjectSchema = Type.Object({
  owner: Owner,
  bucket: Type.String({ minLength: 1 }),
  key: Type.String({ minLength: 1 }),
  bytes: Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'the object\'s bytes in base64' }),
  expiresAt: ExpiresAt
}, Strict)

export const FilesSectionSchema = Type.Object({
  uploads: Type.Array(UploadSchema),
  credentials: Type.Array(CredentialsSchema),
  objects: Type.Array(ObjectSchema)
}, { ...Strict, description: 'Uploads, credentials and stored objects, oldest first' })

type FilesSnapshot = Static<typeof FilesSectionSchema>

export function filesPart (files: FileStore): StatePart<FilesSnapshot> {
  return {
    name: 'files',
    schema: FilesSectionSchema,
    export (key) {
      const { uploads, credentials, objects } = files.entries(key)
      return {
        uploads: uploads.map(([token, upload]) => ({ token, ...upload })),
        credentials: [...credentials],
        objects: objects.map(({ owner, bucket, key, bytes, expiresAt }) => ({ owner, bucket, key, bytes: bytes.toString('base64'), expiresAt }))
      }
    },
    prepare (section = { uploads: [], credentials: [], objects: [] }, context) {
      const held = files.entries()
      const { shift } = context
      const entries: FileEntries = {
        uploads: checked(section.uploads, 'uploads', new Map(held.uploads), context)
          .map(({ token, expiresAt, ...upload }): readonly [string, Upload] => [token, { ...upload, expiresAt: expiresAt + shift }]),
        credentials: checked(section.credentials, 'credentials', new Map(held.credentials.map((each) => [each.accessKeyId, each])), context)
          .map((each): StsCredentials => ({ ...each, expiresAt: each.expiresAt + shift })),
        objects: checked(section.objects, 'objects', new Map(held.objects.map((each) => [idOf.objects(each), each])), context)
          .map((object): StoredObject => {
            const bytes = Buffer.from(object.bytes, 'base64')
            return { ...object, bytes, etag: etagOf(bytes), expiresAt: object.expiresAt + shift }
          })
      }
      return () => {
        files.replace(entries, context.key)
        const { uploads, credentials, objects } = files.entries(context.key)
        return { uploads: uploads.length, credentials: credentials.length, objects: objects.length, objectBytes: objects.reduce((sum, object) => sum + object.bytes.length, 0) }
      }
    }
  }
}

type Kind = keyof FilesSnapshot

/** Each kind's id, and the field that holds it (what a refusal names). */
const idOf = {
  uploads: (upload: { readonly token: string }) => upload.token,
  credentials: (credentials: { readonly accessKeyId: string }) => credentials.accessKeyId,
  objects: (object: { readonly bucket: string, readonly key: string }) => `${object.bucket}/${object.key}`
}
const ID_FIELD: Readonly<Record<Kind, string>> = { uploads: 'token', credentials: 'accessKeyId', objects: 'key' }

/**
 * The entries of one kind, checked: each id once, and in a one-key import, every entry the key's
 * and none taking an id another key holds (`held`: what the store holds now, by id).
 */
function checked<K extends Kind> (written: FilesSnapshot[K], kind: K, held: ReadonlyMap<string, { readonly owner: string }>, context: ImportContext): FilesSnapshot[K] {
  const seen = new Set<string>()
  written.forEach((entry, index) => {
    const at = (field: string) => fieldPath('files', kind, index, field)
    const id = (idOf[kind] as (entry: FilesSnapshot[K][number]) => string)(entry)
    if (context.key !== undefined && entry.owner !== context.key) throw new StateError(`${at('owner')}: not the snapshot's key`)
    if (seen.has(id)) throw new StateError(`${at(ID_FIELD[kind])}: ${id} appears twice`)
    const owner = held.get(id)?.owner
    if (context.key !== undefined && owner !== undefined && owner !== context.key) throw new StateError(`${at(ID_FIELD[kind])}: ${id} belongs to another key`)
    seen.add(id)
  })
  return written
}

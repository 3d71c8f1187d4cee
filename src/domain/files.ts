/**
 * Files clients hand the emulator (reference §2.4-2.6, §3.1): direct uploads (image tokens), STS
 * credentials and the objects put with them, and the resolution of the file references a task
 * request carries. Everything belongs to the API key that made it and expires on the emulator's
 * clock; `reset(key)` forgets it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { v4 as uuidv4 } from 'uuid'
import type { Clock } from './clock.ts'
import type { FileResolver, ResolvedFile } from './emulator.ts'
import { ApiError, type ErrorKey } from './errors.ts'
import type { FileSlot } from './task-types/definition.ts'
import type { Tenant } from './tenants.ts'

export type FileKind = 'image' | 'model'

/** The formats `/upload/sts/token` accepts, and what kind of file each is. */
export const STS_FORMATS = { webp: 'image', jpeg: 'image', png: 'image', glb: 'model', obj: 'model', fbx: 'model', stl: 'model' } as const

export type StsFormat = keyof typeof STS_FORMATS

/** The formats V3's `/files/presign` accepts: V2's, plus `jpg` and `gltf` (reference §3.7). */
export const PRESIGN_FORMATS = { ...STS_FORMATS, jpg: 'image', gltf: 'model' } as const

/** What V3 file tokens look like (reference §3.7: `file_<uuid>`); V2 tokens are bare UUIDs. */
export const FILE_TOKEN_PREFIX = 'file_'

/** How a surface treats file references that the two surfaces answer differently. */
export interface FileRules {
  /** The error for a file the key does not have: 2019 on V2, 1004 on V3 (reference §0.2). */
  readonly missing: ErrorKey
  /** Whether the legacy base64 `data` form is read (V2) or refused (V3 answers it 1004). */
  readonly base64: boolean
}

export const V2_FILE_RULES: FileRules = { missing: 'FILE_NOT_FOUND', base64: true }
export const V3_FILE_RULES: FileRules = { missing: 'INVALID_PARAMETER', base64: false }

export const STS_BUCKET = 'tripo-data'

export interface Sniffed {
  readonly kind: FileKind
  /** jpeg, png, webp, glb, fbx, obj or stl. */
  readonly format: string
}

/** What a file is, by its bytes alone (never its name or declared type). */
export function sniffFile (bytes: Uint8Array): Sniffed | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const head = buffer.toString('latin1', 0, 64)
  if (buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff) return { kind: 'image', format: 'jpeg' }
  if (head.startsWith('\x89PNG\r\n\x1a\n')) return { kind: 'image', format: 'png' }
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return { kind: 'image', format: 'webp' }
  if (head.startsWith('glTF')) return { kind: 'model', format: 'glb' }
  if (/^\s*\{/.test(head) && /"asset"\s*:/.test(buffer.toString('latin1', 0, 65536))) return { kind: 'model', format: 'gltf' }
  if (head.startsWith('Kaydara FBX Binary') || head.startsWith('; FBX')) return { kind: 'model', format: 'fbx' }
  if (buffer.length >= 84 && buffer.length === 84 + 50 * buffer.readUInt32LE(80)) return { kind: 'model', format: 'stl' }
  const text = buffer.toString('latin1', 0, 4096)
  if (text.includes('\0')) return undefined
  if (/^solid\b/.test(text) && text.includes('facet')) return { kind: 'model', format: 'stl' }
  if (/^v\s+-?[\d.]/m.test(text) && /^(?:f|l|p)\s+\d/m.test(buffer.toString('latin1'))) return { kind: 'model', format: 'obj' }
  return undefined
}

/** Content types of imported models, by the extension the emulator serves them under (every sniffed model format). */
export const MODEL_CONTENT_TYPES: Readonly<Record<string, string>> = {
  glb: 'model/gltf-binary', gltf: 'model/gltf+json', fbx: 'application/octet-stream', obj: 'model/obj', stl: 'model/stl'
}

export interface FileSettings {
  readonly uploadTokenTtlSeconds: number
  readonly stsCredentialTtlSeconds: number
  readonly imageMaxBytes: number
  readonly modelMaxBytes: number
  /** Upload tokens, and STS credentials, kept at most (each); beyond it the oldest go first. */
  readonly maxUploads: number
  /** Bytes of STS objects kept at most; beyond it the oldest objects go first. */
  readonly maxObjectBytes: number
}

export const DEFAULT_FILE_SETTINGS: FileSettings = {
  uploadTokenTtlSeconds: 86400,
  stsCredentialTtlSeconds: 1800,
  imageMaxBytes: 20 * 1024 * 1024,
  modelMaxBytes: 150 * 1024 * 1024,
  maxUploads: 10000,
  maxObjectBytes: 1024 * 1024 * 1024
}

export interface Upload {
  readonly owner: string
  /** A direct upload's kind; undefined when the bytes live in `object`. */
  readonly kind?: FileKind
  /** Where the bytes are (V3 model uploads, presigned PUTs); a presigned one may not be put yet. */
  readonly object?: { readonly bucket: string, readonly key: string }
  readonly expiresAt: number
}

export interface StsCredentials {
  readonly owner: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
  readonly bucket: string
  readonly key: string
  /** The largest object they may put: by the kind of their format (models, when none was given). */
  readonly maxBytes: number
  /** Emulator time (ms) after which the credentials are refused. */
  readonly expiresAt: number
}

export interface StoredObject {
  readonly owner: string
  readonly bucket: string
  readonly key: string
  readonly bytes: Buffer
  readonly etag: string
  /** Emulator time (ms) after which the object is forgotten (the upload token lifetime). */
  readonly expiresAt: number
}

/** Everything a file store holds (or one key's part of it), oldest first. */
export interface FileEntries {
  /** Tokens and their uploads. */
  readonly uploads: ReadonlyArray<readonly [string, Upload]>
  readonly credentials: readonly StsCredentials[]
  readonly objects: readonly StoredObject[]
}

export interface FileStoreDeps {
  readonly settings?: Partial<FileSettings>
  readonly newId?: () => string
  readonly random?: (size: number) => Buffer
}

const FORMS = ['file_token', 'url', 'object', 'data'] as const
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export class FileStore implements FileResolver {
  readonly settings: FileSettings
  private readonly clock: Clock
  private readonly newId: () => string
  private readonly random: (size: number) => Buffer
  private readonly uploads = new Map<string, Upload>()
  private readonly credentials = new Map<string, StsCredentials>()
  private readonly objects = new Map<string, StoredObject>()
  private objectBytes = 0

  constructor (clock: Clock, deps: FileStoreDeps = {}) {
    this.clock = clock
    this.settings = { ...DEFAULT_FILE_SETTINGS, ...deps.settings }
    this.newId = deps.newId ?? uuidv4
    this.random = deps.random ?? randomBytes
  }

  /** A V2 direct upload (`/upload`, `/upload/sts`): an image, checked by its bytes. Returns the token. */
  upload (tenant: Tenant, bytes: Uint8Array): string {
    this.checkImage(bytes)
    return this.keepUpload(this.newId(), { owner: tenant.key, kind: 'image' })
  }

  /**
   * A V3 upload (`POST /v3/files`): an image or a model, checked by its bytes. A model's bytes are
   * kept (as an object of the key), so that importing it serves it back. Returns a `file_` token.
   */
  uploadFile (tenant: Tenant, bytes: Uint8Array): string {
    const sniffed = this.checkFile(bytes)
    const token = `${FILE_TOKEN_PREFIX}${this.newId()}`
    if (sniffed.kind === 'image') return this.keepUpload(token, { owner: tenant.key, kind: 'image' })
    const object = this.storeObject(tenant.key, STS_BUCKET, `${this.folderOf(tenant)}/uploads/${token}.${sniffed.format}`, Buffer.from(bytes))
    return this.keepUpload(token, { owner: tenant.key, object: { bucket: object.bucket, key: object.key } })
  }

  /** Temporary credentials to put one object (`/upload/sts/token`); 1004 for an unknown format. */
  issueCredentials (tenant: Tenant, format: string): StsCredentials {
    if (!Object.hasOwn(STS_FORMATS, format)) throw new ApiError('INVALID_PARAMETER', { detail: `format ${format} is not one of ${Object.keys(STS_FORMATS).join(', ')}` })
    return this.credentialsFor(tenant, `input.${format}`, this.maxBytesOfKind(STS_FORMATS[format as StsFormat]))
  }

  /**
   * Where a V3 client PUTs one file (`/files/presign` with a format, `/files/upload-credentials`
   * without one), and the `file_` token that names it once it is there. The credentials sign the
   * presigned URL; they are never handed out.
   */
  issueUploadTarget (tenant: Tenant, format?: string): { token: string, credentials: StsCredentials } {
    if (format !== undefined && !Object.hasOwn(PRESIGN_FORMATS, format)) {
      throw new ApiError('INVALID_PARAMETER', { detail: `format ${format} is not one of ${Object.keys(PRESIGN_FORMATS).join(', ')}` })
    }
    const kind = format === undefined ? 'model' : PRESIGN_FORMATS[format as keyof typeof PRESIGN_FORMATS]
    const credentials = this.credentialsFor(tenant, format === undefined ? 'input' : `input.${format}`, this.maxBytesOfKind(kind))
    const token = this.keepUpload(`${FILE_TOKEN_PREFIX}${this.newId()}`, { owner: tenant.key, object: { bucket: credentials.bucket, key: credentials.key } })
    return { token, credentials }
  }

  private credentialsFor (tenant: Tenant, name: string, maxBytes: number): StsCredentials {
    const now = this.clock.now()
    const day = new Date(now).toISOString().slice(0, 10).replaceAll('-', '')
    const credentials: StsCredentials = {
      owner: tenant.key,
      accessKeyId: `ASIA${base32(this.random(16))}`,
      secretAccessKey: this.random(30).toString('base64'),
      sessionToken: this.random(96).toString('base64'),
      bucket: STS_BUCKET,
      key: `${this.folderOf(tenant)}/${day}/${this.newId()}/${name}`,
      maxBytes,
      expiresAt: now + this.settings.stsCredentialTtlSeconds * 1000
    }
    this.forgetOld(this.credentials, this.settings.maxUploads - 1)
    this.credentials.set(credentials.accessKeyId, credentials)
    return credentials
  }

  /** The key's folder is the same for every upload of one API key, as the real one is per account. */
  private folderOf (tenant: Tenant): string {
    return `tcli_${createHash('sha256').update(tenant.key).digest('hex').slice(0, 32)}`
  }

  private keepUpload (token: string, upload: Omit<Upload, 'expiresAt'>): string {
    this.forgetOld(this.uploads, this.settings.maxUploads - 1)
    this.uploads.set(token, { ...upload, expiresAt: this.clock.now() + this.settings.uploadTokenTtlSeconds * 1000 })
    return token
  }

  /** The credentials of an access key id, expired or not (the S3 endpoint tells the two apart). */
  credentialsOf (accessKeyId: string): StsCredentials | undefined {
    return this.credentials.get(accessKeyId)
  }

  isExpired (credentials: StsCredentials): boolean {
    return this.clock.now() > credentials.expiresAt
  }

  private maxBytesOfKind (kind: FileKind): number {
    return kind === 'image' ? this.settings.imageMaxBytes : this.settings.modelMaxBytes
  }

  putObject (credentials: StsCredentials, bytes: Buffer): StoredObject {
    return this.storeObject(credentials.owner, credentials.bucket, credentials.key, bytes)
  }

  private storeObject (owner: string, bucket: string, key: string, bytes: Buffer): StoredObject {
    const object: StoredObject = {
      owner,
      bucket,
      key,
      bytes,
      etag: etagOf(bytes),
      expiresAt: this.clock.now() + this.settings.uploadTokenTtlSeconds * 1000
    }
    this.forgetObject(objectId(bucket, key))
    this.forgetOld(this.objects, Infinity, (old) => { this.forgetObject(old) })
    this.keepObject(object)
    return object
  }

  /** Keeps an object, making room for it: the oldest go first while the bytes are over the bound. */
  private keepObject (object: StoredObject): void {
    while (this.objects.size > 0 && this.objectBytes + object.bytes.length > this.settings.maxObjectBytes) this.forgetObject(this.objects.keys().next().value as string)
    this.objects.set(objectId(object.bucket, object.key), object)
    this.objectBytes += object.bytes.length
  }

  objectAt (bucket: string, key: string): StoredObject | undefined {
    const object = this.objects.get(objectId(bucket, key))
    return object === undefined || this.clock.now() > object.expiresAt ? undefined : object
  }

  /** How many tokens, credentials and objects are held, and the objects' bytes. */
  get held (): { uploads: number, credentials: number, objects: number, objectBytes: number } {
    return { uploads: this.uploads.size, credentials: this.credentials.size, objects: this.objects.size, objectBytes: this.objectBytes }
  }

  /**
   * Forgets the entries of a store that expired, then the oldest beyond `keep`. Entries are added
   * with one lifetime each, so insertion order is expiry order: only the head needs looking at.
   */
  private forgetOld<T extends { readonly expiresAt: number }> (store: Map<string, T>, keep: number, forget = (id: string) => { store.delete(id) }): void {
    const now = this.clock.now()
    for (const [id, entry] of store) {
      if (entry.expiresAt >= now && store.size <= keep) return
      forget(id)
    }
  }

  private forgetObject (id: string): void {
    const object = this.objects.get(id)
    if (object === undefined) return
    this.objects.delete(id)
    this.objectBytes -= object.bytes.length
  }

  /** A file reference of a task request (reference §3.1), for the key that sent it, by the surface's rules. */
  resolve (tenant: Tenant, slot: FileSlot, rules: FileRules = V2_FILE_RULES): ResolvedFile {
    const { ref, field } = slot
    const forms = FORMS.filter((form) => ref[form] !== undefined)
    if (forms.length !== 1) throw new ApiError('INVALID_PARAMETER', { detail: `${field} needs exactly one of file_token, url, object${rules.base64 ? ', data' : ''}` })
    const form = forms[0] as typeof FORMS[number]
    if (slot.objectOnly === true && form !== 'object') throw new ApiError('INVALID_PARAMETER', { detail: `${field} accepts only an STS object ({"object":{"bucket","key"}})` })
    switch (form) {
      case 'file_token': {
        const upload = this.uploads.get(ref.file_token as string)
        if (upload === undefined || upload.owner !== tenant.key || this.clock.now() > upload.expiresAt) {
          throw new ApiError(rules.missing, { detail: `${field}: no live upload ${ref.file_token} for this key` })
        }
        if (upload.object === undefined) return this.ofKind(slot, upload.kind as FileKind)
        return this.resolveObject(tenant, slot, upload.object, rules, `${field}: the file of ${ref.file_token} was never put`)
      }
      case 'url': {
        // Accepted as the real API accepts it, without fetching it (the emulator has no network).
        if (!/^https?:\/\/[^\s/]+/i.test(ref.url as string)) throw new ApiError('INVALID_IMAGE_URL', { detail: `${field}: ${ref.url} is not an http(s) URL` })
        const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(ref.url as string)?.[1]?.toLowerCase()
        return slot.accepts === 'model' && ext !== undefined && Object.hasOwn(MODEL_CONTENT_TYPES, ext) ? { kind: 'model', ext } : { kind: slot.accepts }
      }
      case 'object':
        return this.resolveObject(tenant, slot, ref.object as { bucket: string, key: string }, rules, `${field}: no object for this key`)
      case 'data': {
        if (!rules.base64) throw new ApiError('INVALID_PARAMETER', { detail: `${field}: base64 data is not read here; upload the file and pass its file_token` })
        const text = (ref.data as string).replace(/\s+/g, '')
        if (!BASE64.test(text)) throw new ApiError('INVALID_PARAMETER', { detail: `${field}.data is not base64` })
        return this.ofKind(slot, this.checkImage(Buffer.from(text, 'base64'), true).kind)
      }
    }
  }

  private resolveObject (tenant: Tenant, slot: FileSlot, { bucket, key }: { bucket: string, key: string }, rules: FileRules, missing: string): ResolvedFile {
    const object = this.objectAt(bucket, key)
    if (object === undefined || object.owner !== tenant.key) throw new ApiError(rules.missing, { detail: missing })
    if (object.bytes.length === 0) throw new ApiError('EMPTY_IMAGE', { detail: `${slot.field}: the file is empty` })
    const sniffed = sniffFile(object.bytes)
    if (sniffed === undefined) throw new ApiError('UNSUPPORTED_IMAGE_TYPE', { detail: `${slot.field}: not an image or model format` })
    return { ...this.ofKind(slot, sniffed.kind), object: { bucket, key }, ext: sniffed.format }
  }

  /** What the store holds, everyone's or one key's, oldest first (a snapshot's files). */
  entries (key?: string): FileEntries {
    const mine = <T extends { readonly owner: string }>(entry: T) => key === undefined || entry.owner === key
    return {
      uploads: [...this.uploads].filter(([, upload]) => mine(upload)),
      credentials: [...this.credentials.values()].filter(mine),
      objects: [...this.objects.values()].filter(mine)
    }
  }

  /**
   * Replaces everything the store holds, or one key's, by a snapshot's files. Kept as the store
   * keeps them: in expiry order, within `maxUploads` and `maxObjectBytes` (the oldest go first).
   */
  replace (entries: FileEntries, key?: string): void {
    this.reset(key)
    // What the other keys keep (nothing, when everything is replaced), merged with the snapshot's.
    const others = this.entries()
    this.reset()
    const byExpiry = (a: { readonly expiresAt: number }, b: { readonly expiresAt: number }) => a.expiresAt - b.expiresAt
    for (const [token, upload] of [...others.uploads, ...entries.uploads].sort(([, a], [, b]) => byExpiry(a, b))) this.uploads.set(token, upload)
    for (const credentials of [...others.credentials, ...entries.credentials].sort(byExpiry)) this.credentials.set(credentials.accessKeyId, credentials)
    for (const object of [...others.objects, ...entries.objects].sort(byExpiry)) this.keepObject(object)
    for (const store of [this.uploads, this.credentials] as Array<Map<string, unknown>>) {
      while (store.size > this.settings.maxUploads) store.delete(store.keys().next().value as string)
    }
  }

  /** Forgets one key's uploads, credentials and objects, or everyone's. */
  reset (key?: string): void {
    for (const store of [this.uploads, this.credentials] as Array<Map<string, { owner: string }>>) {
      for (const [id, entry] of store) if (key === undefined || entry.owner === key) store.delete(id)
    }
    for (const [id, object] of this.objects) if (key === undefined || object.owner === key) this.forgetObject(id)
  }

  /** An image (up to imageMaxBytes, else 2022) or a model (up to modelMaxBytes, else 2021); empty 2003, anything else 2004. */
  private checkFile (bytes: Uint8Array): Sniffed {
    if (bytes.length === 0) throw new ApiError('EMPTY_IMAGE')
    const sniffed = sniffFile(bytes)
    if (sniffed === undefined) throw new ApiError('UNSUPPORTED_IMAGE_TYPE', { detail: 'not a JPEG, PNG or WebP image, nor a GLB, glTF, FBX, OBJ or STL model' })
    if (sniffed.kind === 'image' && bytes.length > this.settings.imageMaxBytes) throw new ApiError('IMAGE_TOO_LARGE', { detail: `${bytes.length} bytes` })
    if (sniffed.kind === 'model' && bytes.length > this.settings.modelMaxBytes) throw new ApiError('MODEL_TOO_LARGE', { detail: `${bytes.length} bytes` })
    return sniffed
  }

  /** Empty (2003), too large (2022), or not JPEG/PNG/WebP (2004); `anyKind` lets a model through to the slot check. */
  private checkImage (bytes: Uint8Array, anyKind = false): Sniffed {
    if (bytes.length === 0) throw new ApiError('EMPTY_IMAGE')
    if (bytes.length > this.settings.imageMaxBytes) throw new ApiError('IMAGE_TOO_LARGE', { detail: `${bytes.length} bytes` })
    const sniffed = sniffFile(bytes)
    if (sniffed === undefined || (!anyKind && sniffed.kind !== 'image')) throw new ApiError('UNSUPPORTED_IMAGE_TYPE', { detail: `not JPEG, PNG or WebP (${sniffed?.format ?? 'unknown'})` })
    return sniffed
  }

  /** A model where an image is expected, or the reverse: 2004. */
  private ofKind (slot: FileSlot, kind: FileKind): ResolvedFile {
    if (kind !== slot.accepts) throw new ApiError('UNSUPPORTED_IMAGE_TYPE', { detail: `${slot.field} takes an ${slot.accepts}, got a ${kind}` })
    return { kind }
  }
}

const objectId = (bucket: string, key: string) => `${bucket}/${key}`

/** An object's ETag, as S3 gives it for a single-part put: the MD5 of its bytes, quoted. */
export function etagOf (bytes: Buffer): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** One upper-case base32 character per byte, as AWS access key ids are spelled. */
function base32 (bytes: Buffer): string {
  return [...bytes].map((byte) => BASE32[byte % 32]).join('')
}

/**
 * The file store without HTTP: sniffing, credentials, and what only the domain can be asked.
 */
import t from 'tap'
import { createClock } from '../../src/domain/clock.ts'
import type { ApiError } from '../../src/domain/errors.ts'
import { FileStore, sniffFile } from '../../src/domain/files.ts'
import { Tenant } from '../../src/domain/tenants.ts'
import { fixture, JPEG, PNG, WEBP } from '../fixtures/files.ts'

t.test('files are recognised by their bytes', async (t) => {
  t.same(sniffFile(JPEG), { kind: 'image', format: 'jpeg' })
  t.same(sniffFile(PNG), { kind: 'image', format: 'png' })
  t.same(sniffFile(WEBP), { kind: 'image', format: 'webp' })
  t.same(sniffFile(fixture('textured.glb')), { kind: 'model', format: 'glb' })
  t.same(sniffFile(fixture('quad.fbx')), { kind: 'model', format: 'fbx' })
  t.same(sniffFile(fixture('model.stl')), { kind: 'model', format: 'stl' })
  t.equal(sniffFile(Buffer.from('RIFF\0\0\0\0WAVEfmt ')), undefined, 'a RIFF that is not WebP')
  t.equal(sniffFile(Buffer.from('v 1 2 3\nno faces here\n')), undefined, 'vertices without faces')
  t.equal(sniffFile(Buffer.from('solid but nothing more')), undefined)
  t.equal(sniffFile(Buffer.from([0, 1, 2, 3])), undefined)
  t.equal(sniffFile(fixture('model.usdz')), undefined, 'a ZIP is not a model V2 imports')
})

t.test('credentials are issued only for the documented formats', async (t) => {
  const store = new FileStore(createClock({ mode: 'manual', start: 0 }))
  const tenant = new Tenant('tsk_domain_test_key', 0)
  const codeOf = (run: () => unknown) => {
    try {
      run()
      return undefined
    } catch (error) {
      return (error as ApiError).entry.code
    }
  }
  t.equal(codeOf(() => store.issueCredentials(tenant, 'gif')), 1004)
  t.equal(codeOf(() => store.issueCredentials(tenant, 'toString')), 1004, 'not an inherited name either')
  const credentials = store.issueCredentials(tenant, 'stl')
  t.equal(credentials.maxBytes, 150 * 1024 * 1024)
  t.equal(store.issueCredentials(tenant, 'png').maxBytes, 20 * 1024 * 1024)
  t.equal(store.credentialsOf(credentials.accessKeyId), credentials)
  t.match(credentials.key, /^tcli_[0-9a-f]{32}\/19700101\/[0-9a-f-]{36}\/input\.stl$/)
  t.equal(codeOf(() => store.upload(tenant, Buffer.alloc(0))), 2003)
})

t.test('bounded: tokens, credentials and objects expire and are capped, oldest first', async (t) => {
  const clock = createClock({ mode: 'manual', start: 0 })
  const store = new FileStore(clock, { settings: { uploadTokenTtlSeconds: 60, stsCredentialTtlSeconds: 30, maxUploads: 2, maxObjectBytes: 2 * PNG.length } })
  const tenant = new Tenant('tsk_domain_test_key', 0)
  const slot = (token: string) => ({ field: 'file', ref: { file_token: token }, accepts: 'image' as const })
  const first = store.upload(tenant, PNG)
  store.upload(tenant, PNG)
  const third = store.upload(tenant, PNG)
  t.equal(store.held.uploads, 2, 'the cap keeps two')
  t.throws(() => store.resolve(tenant, slot(first)), { message: 'The file is not found' }, 'the oldest token went first')
  t.ok(store.resolve(tenant, slot(third)))
  clock.advance(61_000)
  store.upload(tenant, PNG)
  t.equal(store.held.uploads, 1, 'expired tokens are swept on the next upload')

  const a = store.issueCredentials(tenant, 'png')
  const b = store.issueCredentials(tenant, 'png')
  store.issueCredentials(tenant, 'png')
  t.equal(store.credentialsOf(a.accessKeyId), undefined, 'credentials are capped too')
  store.putObject(a, PNG)
  store.putObject(b, PNG)
  t.same(store.held.objects, 2)
  const c = store.issueCredentials(tenant, 'png')
  store.putObject(c, PNG)
  t.equal(store.objectAt(a.bucket, a.key), undefined, 'over the byte cap, the oldest object goes')
  t.same(store.held, { uploads: 1, credentials: 2, objects: 2, objectBytes: 2 * PNG.length })
  store.putObject(c, PNG)
  t.equal(store.held.objectBytes, 2 * PNG.length, 'putting an object again replaces it')
  clock.advance(61_000)
  t.equal(store.objectAt(c.bucket, c.key), undefined, 'an object expires with the token lifetime')
  store.putObject(store.issueCredentials(tenant, 'png'), PNG)
  t.same(store.held.objects, 1, 'and is swept on the next put')
  store.reset()
  t.same(store.held, { uploads: 0, credentials: 0, objects: 0, objectBytes: 0 })
})

t.test('a V3 upload is held to the limit of its kind, whichever limit is the larger', async (t) => {
  const codeOf = (store: FileStore, bytes: Buffer) => {
    try {
      store.uploadFile(new Tenant('tsk_domain_test_key', 0), bytes)
      return 0
    } catch (error) {
      return (error as ApiError).entry.code
    }
  }
  const glb = fixture('base.glb')
  const small = (settings: { imageMaxBytes: number, modelMaxBytes: number }) => new FileStore(createClock({ mode: 'manual', start: 0 }), { settings })
  t.equal(codeOf(small({ imageMaxBytes: 10 ** 6, modelMaxBytes: 100 }), glb), 2021, 'a model over the model limit')
  t.equal(codeOf(small({ imageMaxBytes: 100, modelMaxBytes: 10 ** 6 }), PNG), 2022, 'an image over the image limit')
  t.equal(codeOf(small({ imageMaxBytes: 100, modelMaxBytes: 10 ** 6 }), glb), 0, 'a model under its own limit')
  t.match(small({ imageMaxBytes: 10 ** 6, modelMaxBytes: 100 }).uploadFile(new Tenant('tsk_domain_test_key', 0), PNG), /^file_[0-9a-f-]{36}$/)
})

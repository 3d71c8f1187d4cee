/**
 * The file store without HTTP: sniffing, credentials, and what only the domain can be asked.
 */
import t from 'tap'
import { createClock } from '../../src/domain/clock.ts'
import { type ApiError } from '../../src/domain/errors.ts'
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
  t.equal(store.maxBytesOf(credentials.format), 150 * 1024 * 1024)
  t.equal(store.maxBytesOf('png'), 20 * 1024 * 1024)
  t.equal(store.credentialsOf(credentials.accessKeyId), credentials)
  t.match(credentials.key, /^tcli_[0-9a-f]{32}\/19700101\/[0-9a-f-]{36}\/input\.stl$/)
  t.equal(codeOf(() => store.upload(tenant, Buffer.alloc(0))), 2003)
})

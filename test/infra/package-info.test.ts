import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PACKAGE_NAME, PACKAGE_ROOT, packageRootAbove } from '../../src/infra/package-info.ts'

t.test('the package root is the nearest folder with a package.json', async (t) => {
  t.equal(PACKAGE_NAME, 'tripo-mock')
  t.equal(packageRootAbove(join(PACKAGE_ROOT, 'src', 'infra')), PACKAGE_ROOT)
  const folder = mkdtempSync(join(tmpdir(), 'tripo-root-'))
  t.teardown(() => { rmSync(folder, { recursive: true, force: true }) })
  mkdirSync(join(folder, 'dist', 'deep'), { recursive: true })
  writeFileSync(join(folder, 'package.json'), '{}')
  t.equal(packageRootAbove(join(folder, 'dist', 'deep')), folder)
})

t.test('bug: a file copied where no package.json is above it hung its start; now it fails', async (t) => {
  // The file system's root holds no package.json on any machine this runs on.
  t.throws(() => packageRootAbove('/'), /no package\.json at or above \//)
})

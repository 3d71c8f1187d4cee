/**
 * The sample output files, read once at start into memory. Downloads look a file up by its exact
 * asset name in this map, so no request path ever reaches the file system.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ASSETS, type AssetName } from '../domain/assets.ts'
import { StartupError } from './config.ts'
import { PACKAGE_ROOT } from './package-info.ts'

export interface Fixture {
  readonly bytes: Buffer
  readonly contentType: string
  /** A strong ETag: the MD5 of the bytes, quoted, as S3 spells it. */
  readonly etag: string
}

/** `fixtures/` at the package root. */
export const FIXTURES_FOLDER = pathToFileURL(join(PACKAGE_ROOT, 'fixtures') + sep)

export function loadFixtures (folder: URL = FIXTURES_FOLDER): ReadonlyMap<AssetName, Fixture> {
  const fixtures = new Map<AssetName, Fixture>()
  for (const name of Object.keys(ASSETS) as AssetName[]) {
    let bytes: Buffer
    try {
      bytes = readFileSync(new URL(name, folder))
    } catch {
      throw new StartupError(`the sample file ${fileURLToPath(new URL(name, folder))} is missing (npm run fixtures makes them)`)
    }
    fixtures.set(name, { bytes, contentType: ASSETS[name].contentType, etag: `"${createHash('md5').update(bytes).digest('hex')}"` })
  }
  return fixtures
}

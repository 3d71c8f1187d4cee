/**
 * The package's name, version and root folder (which holds package.json, fixtures/ and
 * scenarios/): the nearest package.json above this module, which is the package's own whether the
 * module runs from src/ (tests), from dist/ (compiled) or from a single bundled file.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The nearest folder at or above `start` that holds a package.json. */
export function packageRootAbove (start: string): string {
  let folder = start
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder)
    // At the file system's root: a copied-away file must fail its start, not hang it.
    if (parent === folder) throw new Error(`no package.json at or above ${start}: tripo-mock runs from its package folder`)
    folder = parent
  }
  return folder
}

const root = packageRootAbove(dirname(fileURLToPath(import.meta.url)))
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string, version: string }

export const PACKAGE_ROOT = root
export const PACKAGE_NAME = manifest.name
export const PACKAGE_VERSION = manifest.version

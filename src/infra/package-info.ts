/**
 * The package's name, version and root folder (which holds package.json, fixtures/ and
 * scenarios/). The root is found by walking up from this module to tripo-mock's package.json, so
 * it holds from src/ (tests), from dist/ (compiled) and from a single bundled file alike.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Manifest { name: string, version: string }

function findRoot (from: string): { root: string, manifest: Manifest } {
  for (let dir = from; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json')
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest
      if (manifest.name === 'tripo-mock') return { root: dir, manifest }
    }
    /* c8 ignore next */ // the module always sits inside the package
    if (dirname(dir) === dir) throw new Error('tripo-mock: cannot find the package root')
  }
}

const { root, manifest } = findRoot(dirname(fileURLToPath(import.meta.url)))

export const PACKAGE_ROOT = root
export const PACKAGE_NAME = manifest.name
export const PACKAGE_VERSION = manifest.version

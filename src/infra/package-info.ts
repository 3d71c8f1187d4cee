/**
 * The package's name, version and root folder (which holds package.json, fixtures/ and
 * scenarios/): the nearest package.json above this module, which is the package's own whether the
 * module runs from src/ (tests), from dist/ (compiled) or from a single bundled file.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root = dirname(fileURLToPath(import.meta.url))
while (!existsSync(join(root, 'package.json'))) root = dirname(root)

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string, version: string }

export const PACKAGE_ROOT = root
export const PACKAGE_NAME = manifest.name
export const PACKAGE_VERSION = manifest.version

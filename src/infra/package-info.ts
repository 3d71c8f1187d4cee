/** The package's name, version and folder, read once from package.json (one level above src/ and dist/). */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The package's root folder (it holds package.json, fixtures/ and scenarios/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url))

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string, version: string }

export const PACKAGE_NAME = manifest.name
export const PACKAGE_VERSION = manifest.version

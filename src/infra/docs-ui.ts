/**
 * Where @fastify/swagger-ui's own files are, given to it as options rather than found through its
 * `__dirname`: the server runs as one bundled file (scripts/bundle.ts), where `__dirname` is not
 * the plugin's folder. Both API docs (the emulated API's and the control plane's) use it.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const assetsFolder = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static')

export const swaggerUiFiles = {
  baseDir: assetsFolder,
  logo: { type: 'image/svg+xml', content: readFileSync(join(assetsFolder, 'logo.svg')) }
}

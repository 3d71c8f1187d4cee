/**
 * The options both API docs (the emulated API's and the control plane's) give @fastify/swagger-ui:
 * - Where its files are, rather than found through its `__dirname`, which in the bundled server
 *   (scripts/bundle.ts) is not the plugin's folder: the build copies them beside the bundle
 *   (dist/swagger-ui/), so the Docker image needs no node_modules; from the sources and the
 *   library entry, they are read where npm installed them.
 * - The emulator's name and logo in the page (title, top bar, favicon) instead of Fastify's.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder beside the bundle that the build fills with swagger-ui's files. */
export const SWAGGER_UI_FOLDER = 'swagger-ui'

/** swagger-ui's files: beside `moduleFolder` when the build put them there, else in node_modules. */
export function swaggerUiFolder (moduleFolder: string): string {
  const beside = join(moduleFolder, SWAGGER_UI_FOLDER)
  if (existsSync(join(beside, 'swagger-ui-bundle.js'))) return beside
  return join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static')
}

/** A cube (the 3D the emulated API makes) and the name, white on the docs' dark top bar. */
const CUBE = '<g fill="none" stroke-linejoin="round" stroke-width="2.5"><path d="M20 3 37 12.5v19L20 41 3 31.5v-19Z" stroke="#fff"/>' +
  '<path d="M3 12.5 20 22l17-9.5M20 22v19" stroke="#49cc90"/></g>'
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="190" height="44" viewBox="0 0 190 44">${CUBE}` +
  '<text x="48" y="30" fill="#fff" font-family="sans-serif" font-size="22" font-weight="700">tripo-mock</text></svg>'
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="44" viewBox="0 0 40 44"><rect width="40" height="44" rx="6" fill="#1b1b1b"/>${CUBE}</svg>`

export const swaggerUiFiles = {
  baseDir: swaggerUiFolder(dirname(fileURLToPath(import.meta.url))),
  logo: { type: 'image/svg+xml', content: Buffer.from(LOGO) },
  theme: {
    title: 'tripo-mock API docs',
    favicon: [{ filename: 'tripo-mock.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: Buffer.from(ICON) }]
  }
}

/**
 * Where the docs pages' files are: beside the bundle when the build put them there (the Docker
 * image has no node_modules), else where npm installed @fastify/swagger-ui.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SWAGGER_UI_FOLDER, swaggerUiFolder } from '../../src/infra/docs-ui.ts'

t.test('beside the module when the build copied them there, else from node_modules', async (t) => {
  const dist = mkdtempSync(join(tmpdir(), 'tripo-docs-ui-'))
  t.teardown(() => { rmSync(dist, { recursive: true, force: true }) })
  t.match(swaggerUiFolder(dist), /node_modules[\\/]@fastify[\\/]swagger-ui[\\/]static$/, 'nothing beside it: the installed package')
  mkdirSync(join(dist, SWAGGER_UI_FOLDER))
  t.match(swaggerUiFolder(dist), /node_modules/, 'an empty folder is not the files')
  writeFileSync(join(dist, SWAGGER_UI_FOLDER, 'swagger-ui-bundle.js'), '')
  t.equal(swaggerUiFolder(dist), join(dist, SWAGGER_UI_FOLDER), 'the copy beside the bundle')
})

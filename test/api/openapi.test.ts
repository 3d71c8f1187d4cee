/**
 * The OpenAPI document of the emulated API: valid OpenAPI 3, generated from the route schemas,
 * listing every route and every status each route can return. The browsable UI is served too.
 */
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { harness } from '../fixtures/harness.ts'

interface Operation { operationId?: string, responses: Record<string, { description: string }>, requestBody?: unknown }

t.test('the document is valid OpenAPI 3 and describes every V2 route', async (t) => {
  const h = await harness(t)
  const response = await h.app.inject({ url: '/docs/json' })
  t.equal(response.statusCode, 200)
  const document = response.json()
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'passes an OpenAPI validator')
  t.equal(document.openapi, '3.0.3')

  const operations = new Map<string, Operation>()
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) operations.set(`${method.toUpperCase()} ${path}`, operation)
  }
  const expected: Record<string, string[]> = {
    'POST /v2/openapi/task': ['200', '400', '401', '403', '404', '429', '500'],
    'GET /v2/openapi/task/{task_id}': ['200', '401', '403', '404', '429', '500'],
    'GET /v2/openapi/user/balance': ['200', '401', '403', '429', '500'],
    'GET /v2/openapi/user/wallet/balance': ['200', '401', '403', '429', '500'],
    'POST /v2/openapi/upload': ['200', '400', '401', '403', '429', '500'],
    'POST /v2/openapi/upload/sts': ['200', '400', '401', '403', '429', '500'],
    'POST /v2/openapi/upload/sts/token': ['200', '400', '401', '403', '429', '500'],
    'GET /files/{taskId}/{name}': ['200', '206', '403', '404', '416'],
    'PUT /tripo-data/{*}': ['200', '400', '403']
  }
  for (const [route, statuses] of Object.entries(expected)) {
    const operation = operations.get(route)
    t.ok(operation, `${route} is documented`)
    t.same(Object.keys(operation?.responses ?? {}).sort(), statuses, `${route} lists its statuses`)
  }
  const create = operations.get('POST /v2/openapi/task')
  t.match(create?.responses['429']?.description, /2000: You have exceeded the limit of generation/, 'each status lists its catalogue codes')
  t.match(create?.responses['429']?.description, /1007: Rate limit exceeded/)
  const bodies = JSON.stringify(create?.requestBody)
  for (const type of ['text_to_model', 'import_model', 'edit_multiview_image']) t.match(bodies, `"${type}"`, `the body documents ${type}`)
})

t.test('the browsable UI is served', async (t) => {
  const h = await harness(t)
  const ui = await h.app.inject({ url: '/docs/' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  t.match(ui.body, /swagger/i)
  // Its files are found through the options of infra/docs-ui.ts, as in the bundled server.
  for (const prefix of ['/docs', '/__mock/docs']) {
    const script = await h.app.inject({ url: `${prefix}/static/swagger-ui-bundle.js` })
    t.equal(script.statusCode, 200, `${prefix}: the UI's script`)
    t.match(script.headers['content-type'], /javascript/)
    const logo = await h.app.inject({ url: `${prefix}/static/logo.svg` })
    t.equal(logo.statusCode, 200, `${prefix}: the logo`)
  }
})

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
    'PUT /tripo-data/{key}': ['200', '400', '403']
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

t.test('the browsable UI is served, with the emulator\'s name and logo', async (t) => {
  const h = await harness(t)
  for (const prefix of ['/docs', '/__mock/docs']) {
    const ui = await h.app.inject({ url: `${prefix}/` })
    t.equal(ui.statusCode, 200)
    t.match(ui.headers['content-type'], /text\/html/)
    t.match(ui.body, /<title>tripo-mock API docs<\/title>/, `${prefix}: the page is named after the emulator`)
    t.match(ui.body, /<link rel="icon" type="image\/svg\+xml" href="\.\/static\/theme\/tripo-mock\.svg" sizes="any" \/>/, `${prefix}: its icon`)
    t.notMatch(ui.body, /favicon-32x32\.png/, 'not Fastify\'s')
    // Its files are found through the options of infra/docs-ui.ts, as in the bundled server.
    const script = await h.app.inject({ url: `${prefix}/static/swagger-ui-bundle.js` })
    t.equal(script.statusCode, 200, `${prefix}: the UI's script`)
    t.match(script.headers['content-type'], /javascript/)
    const icon = await h.app.inject({ url: `${prefix}/static/theme/tripo-mock.svg` })
    t.equal(icon.statusCode, 200)
    t.match(icon.body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    const initializer = await h.app.inject({ url: `${prefix}/static/swagger-initializer.js` })
    const logo = /img\.src = 'data:image\/svg\+xml;base64,([^']+)'/.exec(initializer.body)?.[1] ?? ''
    t.match(Buffer.from(logo, 'base64').toString(), />tripo-mock<\/text><\/svg>$/, `${prefix}: the top bar shows the emulator's logo`)
  }
})

t.test('both documents render: no path parameter named "*", no description with a bare <tag>', async (t) => {
  const h = await harness(t)
  for (const url of ['/docs/json', '/__mock/docs/json']) {
    const document = (await h.app.inject({ url })).json() as { paths: Record<string, Record<string, { parameters?: Array<{ name: string, in: string }> }>> }
    for (const [path, methods] of Object.entries(document.paths)) {
      t.notMatch(path, /\{\*\}/, `${url}: ${path} names its parameters`)
      for (const operation of Object.values(methods)) {
        for (const parameter of operation.parameters ?? []) t.not(parameter.name, '*', `${url}: ${path}`)
      }
    }
    // Descriptions are Markdown: a <word> outside a code span is taken for an HTML tag, and vanishes.
    const bare: string[] = []
    const walk = (node: unknown, key: string): void => {
      if (typeof node === 'string') {
        if (key === 'description' && /<[^>]*>/.test(node.replace(/`[^`]*`/g, ''))) bare.push(node)
      } else if (typeof node === 'object' && node !== null) {
        for (const [name, value] of Object.entries(node)) walk(value, name)
      }
    }
    walk(document, '')
    t.same(bare, [], `${url}: placeholders such as <token> are in code spans`)
  }
})

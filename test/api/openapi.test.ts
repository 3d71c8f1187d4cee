/**
 * The OpenAPI documents of the emulated API: V3's at /docs (with the file routes), V2's at
 * /docs/v2, both valid, in the control plane's OpenAPI version, generated from the route schemas,
 * listing every route and every status each route can return. The browsable UI offers both, V3 first.
 */
import SwaggerParser from '@apidevtools/swagger-parser'
import t, { type Test } from 'tap'
import { CAPABILITIES } from '../../src/domain/capabilities/index.ts'
import { harness, type Harness } from '../fixtures/harness.ts'

interface Operation { operationId?: string, tags?: string[], responses: Record<string, { description: string }>, requestBody?: unknown }

async function documentAt (t: Test, h: Harness, url: string): Promise<{ document: Record<string, any>, operations: Map<string, Operation> }> {
  const response = await h.app.inject({ url })
  t.equal(response.statusCode, 200, url)
  const document = response.json()
  await t.resolves(SwaggerParser.validate(structuredClone(document)), `${url} passes an OpenAPI validator`)
  const operations = new Map<string, Operation>()
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) operations.set(`${method.toUpperCase()} ${path}`, operation)
  }
  return { document, operations }
}

t.test('the V3 document describes every V3 path of the reference, and the file routes', async (t) => {
  const h = await harness(t)
  const { document, operations } = await documentAt(t, h, '/docs/json')
  t.equal(document.openapi, '3.1.0')
  t.match(document.info.title, /V3/)
  const creations = CAPABILITIES.map((capability) => `POST /v3${capability.path}`)
  t.equal(creations.length, 20, 'the 20 creation endpoints')
  const expected: Record<string, string[]> = {
    ...Object.fromEntries(creations.map((route) => [route, ['200', '400', '401', '403', '404', '415', '429', '500']])),
    'GET /v3/tasks/{task_id}': ['200', '401', '403', '404', '429', '500'],
    'POST /v3/tasks/list': ['200', '400', '401', '403', '415', '429', '500'],
    'POST /v3/files': ['200', '400', '401', '403', '415', '429', '500'],
    'POST /v3/files/upload-credentials': ['200', '401', '403', '429', '500'],
    'POST /v3/files/presign': ['200', '400', '401', '403', '415', '429', '500'],
    'GET /v3/account/balance': ['200', '401', '403', '429', '500'],
    'GET /v3/account/usage': ['200', '400', '401', '403', '429', '500'],
    'GET /files/{taskId}/{name}': ['200', '206', '403', '404', '416'],
    'PUT /tripo-data/{key}': ['200', '400', '403']
  }
  const v3Paths = [...operations.keys()].filter((route) => route.includes(' /v3/'))
  t.equal(v3Paths.length, 27, 'the reference\'s 27 V3 paths')
  for (const [route, statuses] of Object.entries(expected)) {
    const operation = operations.get(route)
    t.ok(operation, `${route} is documented`)
    t.same(Object.keys(operation?.responses ?? {}).sort(), statuses, `${route} lists its statuses`)
  }
  const create = operations.get('POST /v3/generation/text-to-model')
  t.equal(create?.operationId, 'textToModel')
  t.same(create?.tags, ['generation'])
  t.match(create?.responses['429']?.description, /2000: You have exceeded the limit of generation/, 'each status lists its catalogue codes')
  t.match(JSON.stringify(create?.responses['400']), /request_id/, 'errors in V3\'s envelope')
  t.match(JSON.stringify(create?.requestBody), /"model"/, 'the body documents model')
  t.notOk([...operations.keys()].some((route) => route.includes('/v2/openapi')), 'V2 is documented apart')
})

t.test('the V2 document describes every V2 route, as legacy', async (t) => {
  const h = await harness(t)
  const { document, operations } = await documentAt(t, h, '/docs/v2/json')
  t.equal(document.openapi, '3.1.0', 'one OpenAPI version for every document')
  t.match(document.info.title, /V2, legacy/)
  const expected: Record<string, string[]> = {
    'POST /v2/openapi/task': ['200', '400', '401', '403', '404', '429', '500'],
    'GET /v2/openapi/task/{task_id}': ['200', '401', '403', '404', '429', '500'],
    'GET /v2/openapi/user/balance': ['200', '401', '403', '429', '500'],
    'GET /v2/openapi/user/wallet/balance': ['200', '401', '403', '429', '500'],
    'POST /v2/openapi/upload': ['200', '400', '401', '403', '429', '500'],
    'POST /v2/openapi/upload/sts': ['200', '400', '401', '403', '429', '500'],
    'POST /v2/openapi/upload/sts/token': ['200', '400', '401', '403', '429', '500']
  }
  for (const [route, statuses] of Object.entries(expected)) {
    const operation = operations.get(route)
    t.ok(operation, `${route} is documented`)
    t.same(Object.keys(operation?.responses ?? {}).sort(), statuses, `${route} lists its statuses`)
  }
  const create = operations.get('POST /v2/openapi/task')
  t.match(create?.responses['429']?.description, /1007: Rate limit exceeded/)
  const bodies = JSON.stringify(create?.requestBody)
  for (const type of ['text_to_model', 'import_model', 'edit_multiview_image']) t.match(bodies, `"${type}"`, `the body documents ${type}`)
  t.notMatch(bodies, '"image_to_splat"', 'not the V3-only types')
})

t.test('the browsable UI is served, V3 first with V2 beside it, with the emulator\'s name and logo', async (t) => {
  const h = await harness(t)
  const ui = await h.app.inject({ url: '/docs/' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  t.match(ui.body, /swagger/i)
  const initializer = await h.app.inject({ url: '/docs/static/swagger-initializer.js' })
  t.match(initializer.body, /"url":"\.\/json","name":"V3"\},\{"url":"\.\/v2\/json","name":"V2 \(legacy\)"/)
  t.equal((await h.app.inject({ url: '/docs/v2/' })).statusCode, 200, 'and V2\'s alone')
  for (const prefix of ['/docs', '/docs/v2', '/__mock/docs']) {
    const page = await h.app.inject({ url: `${prefix}/` })
    t.match(page.body, /<title>tripo-mock API docs<\/title>/, `${prefix}: the page is named after the emulator`)
    t.match(page.body, /<link rel="icon" type="image\/svg\+xml" href="\.\/static\/theme\/tripo-mock\.svg" sizes="any" \/>/, `${prefix}: its icon`)
    t.notMatch(page.body, /favicon-32x32\.png/, 'not Fastify\'s')
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

t.test('every document renders: no path parameter named "*", no description with a bare <tag>', async (t) => {
  const h = await harness(t)
  for (const url of ['/docs/json', '/docs/v2/json', '/__mock/docs/json']) {
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

/**
 * The control plane's own OpenAPI document: valid OpenAPI 3, every control route with its
 * statuses, nothing of the emulated API (and the API's document holds nothing of the control plane).
 */
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { harness } from '../fixtures/harness.ts'

interface Operation { operationId?: string, responses: Record<string, unknown>, security?: unknown[] }

t.test('the control document is valid OpenAPI 3 and lists every control route', async (t) => {
  const h = await harness(t)
  const response = await h.app.inject({ url: '/__mock/docs/json' })
  t.equal(response.statusCode, 200)
  const document = response.json()
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'passes an OpenAPI validator')
  t.equal(document.info.title, 'tripo-mock control plane')
  const operations = new Map<string, Operation>()
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) operations.set(`${method.toUpperCase()} ${path}`, operation)
  }
  const expected: Record<string, string[]> = {
    'GET /__mock/health': ['200'],
    'GET /__mock/ready': ['200', '503'],
    'GET /__mock/clock': ['200', '400', '401'],
    'PATCH /__mock/clock': ['200', '400', '401'],
    'POST /__mock/clock/advance': ['200', '400', '401'],
    'POST /__mock/clock/set': ['200', '400', '401'],
    'GET /__mock/tasks': ['200', '400', '401', '404'],
    'GET /__mock/tasks/{taskId}/outputs': ['200', '400', '401', '404'],
    'GET /__mock/keys': ['200', '400', '401'],
    'GET /__mock/tasks/{taskId}': ['200', '400', '401', '404'],
    'POST /__mock/tasks/{taskId}/force': ['200', '400', '401', '404'],
    'GET /__mock/credits': ['200', '400', '401', '404'],
    'PATCH /__mock/credits': ['200', '400', '401', '404'],
    'POST /__mock/reset': ['200', '400', '401'],
    'POST /__mock/reset/tenant': ['200', '400', '401', '404'],
    'GET /__mock/journal': ['200', '400', '401', '404'],
    'GET /__mock/journal/{traceId}': ['200', '400', '401', '404'],
    'GET /__mock/journal/count': ['200', '400', '401', '404'],
    'DELETE /__mock/journal': ['200', '400', '401', '404'],
    'GET /__mock/events': ['200', '400', '401', '404'],
    'GET /__mock/metrics': ['200', '400', '401'],
    'GET /__mock/scenarios': ['200', '400', '401'],
    'GET /__mock/scenarios/{name}': ['200', '400', '401', '404'],
    'POST /__mock/scenarios/{name}/activate': ['200', '400', '401', '404'],
    'POST /__mock/scenarios/{name}/deactivate': ['200', '400', '401', '404'],
    'POST /__mock/scenarios': ['201', '400', '401'],
    'POST /__mock/scenarios/validate': ['200', '400', '401'],
    'DELETE /__mock/scenarios/{name}': ['200', '400', '401', '404'],
    'POST /__mock/scenarios/reload': ['200', '400', '401'],
    'GET /__mock/webhooks/endpoints': ['200', '400', '401', '404'],
    'POST /__mock/webhooks/endpoints': ['201', '400', '401', '404'],
    'GET /__mock/webhooks/endpoints/{id}': ['200', '400', '401', '404'],
    'PATCH /__mock/webhooks/endpoints/{id}': ['200', '400', '401', '404'],
    'POST /__mock/webhooks/endpoints/{id}/enable': ['200', '400', '401', '404'],
    'POST /__mock/webhooks/endpoints/{id}/disable': ['200', '400', '401', '404'],
    'DELETE /__mock/webhooks/endpoints/{id}': ['200', '400', '401', '404'],
    'POST /__mock/webhooks/endpoints/{id}/send': ['201', '400', '401', '404'],
    'GET /__mock/webhooks/deliveries': ['200', '400', '401', '404'],
    'GET /__mock/webhooks/deliveries/{id}': ['200', '400', '401', '404'],
    'POST /__mock/webhooks/deliveries/{id}/resend': ['200', '400', '401', '404'],
    'POST /__mock/webhooks/trigger': ['201', '400', '401', '404'],
    'GET /__mock/state': ['200', '400', '401', '404'],
    'PUT /__mock/state': ['200', '400', '401', '404']
  }
  t.same([...operations.keys()].sort(), Object.keys(expected).sort(), 'exactly the control routes')
  for (const [route, statuses] of Object.entries(expected)) {
    const operation = operations.get(route)
    t.same(Object.keys(operation?.responses ?? {}).sort(), statuses, `${route} lists its statuses`)
    t.type(operation?.operationId, 'string', `${route} has an operationId`)
  }
  t.same(operations.get('GET /__mock/health')?.security, [], 'health needs no token')
  t.match(JSON.stringify(operations.get('GET /__mock/tasks')), /x-tripo-mock-key/, 'the key header is documented')

  const api = (await h.app.inject({ url: '/docs/json' })).json()
  t.notOk(Object.keys(api.paths).some((path) => path.startsWith('/__mock')), 'the API document has no control route')
})

t.test('the control plane\'s browsable UI is served', async (t) => {
  const h = await harness(t)
  const ui = await h.app.inject({ url: '/__mock/docs/' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
})

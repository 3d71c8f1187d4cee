/**
 * The control plane under `/__mock`, with its own OpenAPI document (`/__mock/docs`, JSON at
 * `/__mock/docs/json`): health and readiness (always, no token), then, unless `controlPlane` is
 * false, the dashboard page (`/__mock/ui`, no token to load it) and the clock, tasks, keys,
 * credits, scenarios, webhooks, reset, journal, events, metrics and state, behind `controlToken`
 * when one is set. Switched off, those routes do not exist and answer as unknown routes (404/9410).
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyPluginAsync } from 'fastify'
import { swaggerUiFiles } from '../infra/docs-ui.ts'
import type { Services } from '../services.ts'
import { controlTokenCheck } from './auth.ts'
import { clockRoutes } from './clock.ts'
import { KEY_HEADER, KEY_ID_HEADER } from './common.ts'
import { creditsRoutes } from './credits.ts'
import { healthRoutes } from './health.ts'
import { journalRoutes } from './journal.ts'
import { keysRoutes } from './keys.ts'
import { metricsRoutes } from './metrics.ts'
import { resetRoutes } from './reset.ts'
import { scenarioRoutes } from './scenarios.ts'
import { streamRoutes } from './stream.ts'
import { stateRoutes } from './state.ts'
import { tasksRoutes } from './tasks.ts'
import { uiRoutes } from './ui.ts'
import { controlValidatorCompiler } from './validation.ts'
import { webhookRoutes } from './webhooks.ts'

export { CONTROL_PREFIX } from './common.ts'

export const CONTROL_DOCS_PREFIX = '/docs'

export const controlPlane: FastifyPluginAsync<{ services: Services, version: string }> = async (app, { services, version }) => {
  const enabled = services.config.controlPlane
  app.setValidatorCompiler(controlValidatorCompiler)
  if (enabled) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'tripo-mock control plane',
          version,
          description: 'Steer the emulator from outside: clock, tasks, keys, credits, scenarios, webhooks, reset, journal, events, metrics, state. ' +
            `The API key a call is about goes in the ${KEY_HEADER} header, never in the URL (or its id, keyId in the views, in ${KEY_ID_HEADER}). ` +
            'When controlToken is set, every route but health, ready and these docs needs `Authorization: Bearer <control token>`.'
        },
        servers: [{ url: '/' }],
        components: {
          securitySchemes: { controlToken: { type: 'http', scheme: 'bearer', description: 'The controlToken setting (only when it is set)' } }
        },
        security: [{ controlToken: [] }],
        tags: [
          { name: 'health', description: 'Liveness and readiness (no token)' },
          { name: 'clock', description: 'The emulator\'s clock' },
          { name: 'tasks', description: 'Tasks, their fates, outputs, forcing them on' },
          { name: 'keys', description: 'The API keys the emulator knows' },
          { name: 'credits', description: 'A key\'s credits' },
          { name: 'reset', description: 'Forget everything, or one key' },
          { name: 'journal', description: 'Recent requests to the emulated API' },
          { name: 'events', description: 'Live events (Server-Sent Events): requests, tasks, clock, resets, scenarios' },
          { name: 'metrics', description: 'Prometheus metrics' },
          { name: 'scenarios', description: 'Failures on purpose: list, activate, add ad-hoc, reload' },
          { name: 'webhooks', description: 'Webhook endpoints, deliveries and their attempts; resend, trigger, send a custom body' },
          { name: 'state', description: 'Snapshots: export the whole state (or one key\'s), import one' }
        ]
      }
    })
    await app.register(swaggerUi, { routePrefix: CONTROL_DOCS_PREFIX, ...swaggerUiFiles })
  }
  await app.register(healthRoutes, { services, version })
  if (!enabled) return
  await app.register(uiRoutes, { dir: services.dashboardDir })

  await app.register(async (steering) => {
    const checkToken = controlTokenCheck(services.config.controlToken)
    if (checkToken !== undefined) steering.addHook('onRequest', checkToken)
    await steering.register(clockRoutes, { services })
    await steering.register(tasksRoutes, { services })
    await steering.register(keysRoutes, { services })
    await steering.register(creditsRoutes, { services })
    await steering.register(resetRoutes, { services })
    await steering.register(journalRoutes, { services })
    await steering.register(streamRoutes, { services })
    await steering.register(metricsRoutes, { services })
    await steering.register(scenarioRoutes, { services })
    await steering.register(webhookRoutes, { services })
    await steering.register(stateRoutes, { services })
  })
}

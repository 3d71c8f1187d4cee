/**
 * `GET /__mock/health` (the process answers) and `GET /__mock/ready` (every readiness check
 * passes: configuration, and whatever else registered one). No token, cheap: Docker health checks
 * and orchestrators call them. They stay when the control plane is switched off.
 */
import { performance } from 'node:perf_hooks'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Services } from '../services.ts'

const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String({ description: 'tripo-mock version' }),
  uptimeSeconds: Type.Number({ description: 'Wall seconds since the app was built' })
}, { title: 'Health' })

const ReadinessSchema = Type.Object({
  ready: Type.Boolean(),
  checks: Type.Array(Type.Object({
    name: Type.String(),
    ready: Type.Boolean(),
    detail: Type.Optional(Type.String({ description: 'Why it is not ready' }))
  }))
}, { title: 'Readiness' })

export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services, version: string }> = async (app, { services, version }) => {
  const builtAt = performance.now()

  app.get('/health', {
    config: { surface: 'control' },
    schema: {
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Liveness: the emulator answers',
      security: [],
      response: { 200: HealthSchema }
    }
  }, async () => ({ status: 'ok' as const, version, uptimeSeconds: Math.round(performance.now() - builtAt) / 1000 }))

  app.get('/ready', {
    config: { surface: 'control' },
    schema: {
      operationId: 'getReadiness',
      tags: ['health'],
      summary: 'Readiness: configuration loaded and every registered check passing (503 otherwise)',
      security: [],
      response: {
        200: { ...ReadinessSchema, description: 'Ready' },
        503: { ...ReadinessSchema, description: 'Not ready yet: see the checks' }
      }
    }
  }, async (_request, reply) => {
    const report = services.readiness.report()
    return reply.code(report.ready ? 200 : 503).send(report)
  })
}

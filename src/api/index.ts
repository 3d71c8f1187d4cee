/**
 * The emulated surface and its OpenAPI document (served at /docs): the V2 API, the file
 * routes its outputs point at, and the S3 endpoint its STS credentials point at.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyPluginAsync } from 'fastify'
import { swaggerUiFiles } from '../infra/docs-ui.ts'
import type { Services } from '../services.ts'
import { filesRoutes } from './files.ts'
import { s3Routes } from './s3.ts'
import { v2Api, V2_PREFIX } from './v2/index.ts'

export const API_DOCS_PREFIX = '/docs'

export const emulatedApi: FastifyPluginAsync<{ services: Services, version: string }> = async (app, { services, version }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tripo API V2 (tripo-mock)',
        version,
        description: 'The Tripo 3D generation API V2 as emulated by tripo-mock. Every response carries X-Tripo-Trace-ID.'
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Tripo API key (tsk_...)' } }
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'tasks', description: 'Create and read tasks' },
        { name: 'account', description: 'Balance' },
        { name: 'watch', description: 'Push updates over WebSocket' },
        { name: 'uploads', description: 'Direct uploads and STS credentials' },
        { name: 'files', description: 'Signed output downloads, and the S3 endpoint STS uploads go to (no API key)' }
      ]
    }
  })
  await app.register(swaggerUi, { routePrefix: API_DOCS_PREFIX, ...swaggerUiFiles })
  await app.register(v2Api, { services, prefix: V2_PREFIX })
  await app.register(filesRoutes, { services })
  await app.register(s3Routes, { services })
}

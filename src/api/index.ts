/**
 * The emulated surfaces and their OpenAPI documents. V3, the primary one, with the file routes its
 * outputs and presigned uploads point at (downloads, the S3 endpoint), is documented at `/docs`;
 * V2, legacy, at `/docs/v2`. The UI at `/docs` offers both, V3 first. Each document is generated
 * from its routes' schemas, in the same OpenAPI version as the control plane's.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyPluginAsync } from 'fastify'
import { swaggerUiFiles } from '../infra/docs-ui.ts'
import type { Services } from '../services.ts'
import { filesRoutes } from './files.ts'
import { s3Routes } from './s3.ts'
import { v2Api, V2_PREFIX } from './v2/index.ts'
import { v3Api, V3_PREFIX } from './v3/index.ts'

export const API_DOCS_PREFIX = '/docs'
export const V2_DOCS_PREFIX = '/docs/v2'
export const OPENAPI_VERSION = '3.1.0'

const bearer = { type: 'http', scheme: 'bearer', description: 'A Tripo API key (tsk_...)' } as const

export const emulatedApi: FastifyPluginAsync<{ services: Services, version: string }> = async (app, { services, version }) => {
  await app.register(async (v3) => {
    await v3.register(swagger, {
      openapi: {
        openapi: OPENAPI_VERSION,
        info: {
          title: 'Tripo API V3 (tripo-mock)',
          version,
          description: 'The Tripo 3D generation API V3 as emulated by tripo-mock: the surface every maintained official SDK speaks. ' +
            'Every response carries X-Tripo-Trace-ID; every answer to an API key carries X-RateLimit-Limit, -Remaining and -Reset. ' +
            `The legacy V2 API is documented at ${V2_DOCS_PREFIX}.`
        },
        servers: [{ url: '/' }],
        components: { securitySchemes: { bearer } },
        security: [{ bearer: [] }],
        tags: [
          { name: 'generation', description: '3D and image generation' },
          { name: 'models', description: 'Import, refine, texture, stylize and convert a model' },
          { name: 'animations', description: 'Rig check, rig and retarget' },
          { name: 'mesh', description: 'Segment, complete and decimate a mesh' },
          { name: 'tasks', description: 'Read tasks' },
          { name: 'files', description: 'Uploads and presigned uploads; the signed output downloads and the S3 endpoint uploads go to (no API key)' },
          { name: 'account', description: 'Balance and usage' }
        ]
      }
    })
    await v3.register(swaggerUi, {
      routePrefix: API_DOCS_PREFIX,
      ...swaggerUiFiles,
      // One UI for both documents, V3 first; relative, so that it works under a proxy's base path.
      uiConfig: { urls: [{ url: './json', name: 'V3' }, { url: './v2/json', name: 'V2 (legacy)' }] }
    })
    await v3.register(v3Api, { services, prefix: V3_PREFIX })
    await v3.register(filesRoutes, { services })
    await v3.register(s3Routes, { services })
  })
  await app.register(async (v2) => {
    await v2.register(swagger, {
      openapi: {
        openapi: OPENAPI_VERSION,
        info: {
          title: 'Tripo API V2, legacy (tripo-mock)',
          version,
          description: 'The Tripo 3D generation API V2 as emulated by tripo-mock. Tripo switched V2 off on 2026-11-01; the emulator keeps it for code not yet migrated (setting retireV2 answers it with 410). ' +
            `Every response carries X-Tripo-Trace-ID. The V3 API is documented at ${API_DOCS_PREFIX}.`
        },
        servers: [{ url: '/' }],
        components: { securitySchemes: { bearer } },
        security: [{ bearer: [] }],
        tags: [
          { name: 'tasks', description: 'Create and read tasks' },
          { name: 'account', description: 'Balance' },
          { name: 'watch', description: 'Push updates over WebSocket' },
          { name: 'uploads', description: 'Direct uploads and STS credentials' }
        ]
      }
    })
    await v2.register(swaggerUi, { routePrefix: V2_DOCS_PREFIX, ...swaggerUiFiles })
    await v2.register(v2Api, { services, prefix: V2_PREFIX })
  })
}

/**
 * Builds the application (no listening, no process handling): the server, the CLI, the in-process
 * API and the tests all start from here.
 */
import Fastify, { type FastifyInstance, type FastifyReply, LogController } from 'fastify'
import { v4 as uuidv4 } from 'uuid'
import { emulatedApi } from './api/index.ts'
import { installScenarioHooks } from './api/scenario-hooks.ts'
import { CONTROL_PREFIX, controlPlane } from './control/index.ts'
import { installRecorder } from './control/recorder.ts'
import { ApiError } from './domain/errors.ts'
import type { Operation } from './domain/operations.ts'
import type { Config } from './infra/config.ts'
import { installDrain } from './infra/drain.ts'
import { clientErrorHandler, connectHandler, installErrorHandling, sendApiError, type Surface, TRACE_HEADER } from './infra/error-handler.ts'
import { lazyChildLoggerFactory, type LoggerChoice, loggerOptions } from './infra/logger.ts'
import { lazySerializerCompiler, lazyValidatorCompiler, textualAjv } from './infra/schema-compilers.ts'
import { PACKAGE_VERSION } from './infra/package-info.ts'
import { installWebhookDelivery } from './infra/webhook-delivery.ts'
import { installStatePersistence } from './infra/state-persistence.ts'
import { createServices, type ServiceOverrides, type Services } from './services.ts'

export interface AppOptions {
  readonly config: Readonly<Config>
  readonly overrides?: ServiceOverrides
  /** Where logs go; `false` for none. Defaults to stdout at the configured level. */
  readonly logger?: LoggerChoice | false
}

/** A route the app serves, as registered. */
export interface RouteEntry {
  readonly method: string
  readonly url: string
  readonly operation: Operation | undefined
  readonly surface: Surface | undefined
}

export interface App {
  readonly app: FastifyInstance
  readonly services: Services
  /** Every route the app serves, in the order registered (the fuzz test walks them all). */
  readonly routes: readonly RouteEntry[]
}

export async function buildApp (options: AppOptions): Promise<App> {
  const { config } = options
  const services = createServices(config, options.overrides)
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(options.logger ?? { level: config.logLevel, format: config.logFormat }),
    // Only for the URLs it builds (api/v2/links.ts): X-Forwarded-Proto and X-Forwarded-Host.
    trustProxy: config.trustProxy,
    genReqId: () => uuidv4(),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'traceId' }),
    ...(options.logger === false ? {} : { childLoggerFactory: lazyChildLoggerFactory }),
    bodyLimit: config.bodyLimit,
    // While closing, requests on open connections are still answered, in the envelope (infra/drain.ts).
    return503OnClosing: false,
    clientErrorHandler,
    // Requests Fastify refuses before routing (a malformed URL, say) still get the envelope and a trace id.
    frameworkErrors: (error, request, reply) => {
      reply.header(TRACE_HEADER, request.id)
      sendApiError(reply as unknown as FastifyReply, new ApiError('MALFORMED_BODY', { detail: error.message }))
    }
  })

  app.server.on('connect', connectHandler)
  app.setValidatorCompiler(lazyValidatorCompiler(textualAjv))
  app.setSerializerCompiler(lazySerializerCompiler)
  app.decorateRequest('injectedBy', null)
  app.decorateRequest('errorCode', 0)
  app.decorateRequest('tenant', null as never)
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(TRACE_HEADER, request.id)
    done()
  })
  const routes: RouteEntry[] = []
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, operation: route.config?.operation, surface: route.config?.surface })
  })
  installErrorHandling(app, { v2Retired: config.retireV2 })
  installDrain(app)
  installStatePersistence(app, services)
  installScenarioHooks(app, services)
  // Before any route: it hooks every route that names an operation.
  installRecorder(app, services)
  installWebhookDelivery(app, services, options.overrides?.webhookTransport)

  await app.register(emulatedApi, { services, version: PACKAGE_VERSION })
  await app.register(controlPlane, { services, version: PACKAGE_VERSION, prefix: CONTROL_PREFIX })
  return { app, services, routes }
}

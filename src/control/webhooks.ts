/**
 * `/__mock/webhooks`: endpoints (add, list, show, change, enable, disable, remove; for the key in
 * the header or for every key), deliveries with every attempt (filtered by key, endpoint, event,
 * task, status), resending one, triggering an event for a task (or a key's balance.low), and
 * sending a body of your own, signed, to an endpoint.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type TSchema, Type } from 'typebox'
import { StringEnum } from '../domain/task-types/schema-kit.ts'
import { DELIVERY_STATUSES, WEBHOOK_EVENTS } from '../domain/webhooks/model.ts'
import type { Services } from '../services.ts'
import {
  addWebhookEndpoint, enableWebhookEndpoint, getWebhookDelivery, getWebhookEndpoint, listWebhookDeliveries, listWebhookEndpoints,
  removeWebhookEndpoint, resendWebhookDelivery, sendWebhook, triggerWebhook, updateWebhookEndpoint
} from './actions.ts'
import { CONTROL_ERRORS, errorResponses, KEY_ERRORS, KEY_HEADER, KeyHeadersSchema, keyOf } from './common.ts'

const Nullable = <T extends TSchema>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })

const Events = Type.Array(StringEnum(WEBHOOK_EVENTS), { minItems: 1, description: `Among ${WEBHOOK_EVENTS.join(', ')}` })

const EndpointSchema = Type.Object({
  id: Type.String({ description: 'ep_...: the Tripo-Webhook-Id header of its deliveries' }),
  url: Type.String(),
  secret: Type.String({ description: 'The whole whsec_... secret, to verify signatures with' }),
  events: Type.Array(StringEnum(WEBHOOK_EVENTS), { description: 'The events it receives' }),
  scope: StringEnum(['all', 'key'] as const, { description: 'all: every key\'s events; key: one key\'s' }),
  key: Nullable(Type.String(), 'The key, masked; null for every key'),
  origin: StringEnum(['config', 'control'] as const, { description: 'config: the webhooks setting (a reset restores it); control: added here' }),
  enabled: Type.Boolean(),
  disabledBy: Nullable(StringEnum(['control', 'failures'] as const), 'Disabled by hand, or after webhookDisableAfterFailures failed deliveries in a row'),
  consecutiveFailures: Type.Integer({ description: 'Failed deliveries in a row (every attempt used)' }),
  createdAt: Type.String({ description: 'On the emulator\'s clock (ISO 8601)' })
}, { title: 'WebhookEndpoint' })

const AttemptSchema = Type.Object({
  kind: StringEnum(['scheduled', 'resend', 'duplicate'] as const, { description: 'An attempt of the retry schedule, a resend, or a scenario\'s duplicate' }),
  at: Type.String({ description: 'When it was sent, on the emulator\'s clock (ISO 8601)' }),
  url: Type.String(),
  signature: Type.String({ description: 'The Tripo-Webhook-Signature sent' }),
  status: Nullable(Type.Integer(), 'The HTTP status of the answer; null when none came'),
  latencyMs: Type.Number({ description: 'Wall milliseconds until the answer or the failure' }),
  response: Type.String({ description: 'The start of the answer\'s body (512 bytes at most)' }),
  error: Nullable(Type.String(), 'What went wrong when no answer came (refused, reset, timed out)')
}, { title: 'WebhookAttempt' })

const DeliverySchema = Type.Object({
  id: Type.String({ description: 'The Tripo-Webhook-Delivery header: the same on every attempt' }),
  endpointId: Type.String(),
  key: Nullable(Type.String(), 'The API key it is about, masked'),
  event: Type.String({ description: 'The Tripo-Webhook-Event header' }),
  eventId: Type.String({ description: 'The body\'s id (`<task id>:<event>`)' }),
  taskId: Nullable(Type.String(), 'The task of a task event'),
  status: StringEnum(DELIVERY_STATUSES, { description: 'pending (waiting for its next attempt), sending, delivered, failed (every attempt used, or not sent), dropped (by a scenario)' }),
  createdAt: Type.String({ description: 'On the emulator\'s clock (ISO 8601)' }),
  nextAttemptAt: Nullable(Type.String(), 'When the next attempt is due (pending)'),
  heldBack: Type.Boolean({ description: 'Out of order: held back until the next delivery to its endpoint has been sent' }),
  injectedBy: Nullable(Type.String(), 'The scenario rule (`<scenario>/<rule>`) that decided how it goes'),
  note: Nullable(Type.String(), 'Why it ended without an attempt, or was dropped'),
  body: Nullable(Type.String(), 'The body sent; null before the first attempt'),
  attempts: Type.Array(AttemptSchema)
}, { title: 'WebhookDelivery' })

const IdParams = Type.Object({ id: Type.String({ minLength: 1 }) })

export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/webhooks/endpoints', {
    config: { surface: 'control' },
    schema: {
      operationId: 'listWebhookEndpoints',
      tags: ['webhooks'],
      summary: `Every webhook endpoint, or those that receive the events of the key in ${KEY_HEADER} (its own and every key's)`,
      headers: KeyHeadersSchema,
      response: { 200: Type.Object({ endpoints: Type.Array(EndpointSchema) }), ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request) => ({ endpoints: listWebhookEndpoints(services, keyOf(services, request.headers)) }))

  app.post('/webhooks/endpoints', {
    config: { surface: 'control' },
    schema: {
      operationId: 'addWebhookEndpoint',
      tags: ['webhooks'],
      summary: `Register an endpoint for the events of the key in ${KEY_HEADER}, or (without it) of every key`,
      headers: KeyHeadersSchema,
      body: Type.Object({
        url: Type.String({ description: 'An http or https URL' }),
        secret: Type.Optional(Type.String({ description: 'The whole whsec_... string; generated when left out' })),
        events: Type.Optional(Events),
        enabled: Type.Optional(Type.Boolean({ description: 'false: registered disabled' }))
      }, { additionalProperties: false }),
      response: { 201: EndpointSchema, ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request, reply) => {
    const endpoint = addWebhookEndpoint(services, request.body, keyOf(services, request.headers))
    request.log.info({ endpointId: endpoint.id, scope: endpoint.scope }, 'webhook endpoint added')
    return reply.code(201).send(endpoint)
  })

  app.get('/webhooks/endpoints/:id', {
    config: { surface: 'control' },
    schema: { operationId: 'getWebhookEndpoint', tags: ['webhooks'], summary: 'One endpoint', params: IdParams, response: { 200: EndpointSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') } }
  }, async (request) => getWebhookEndpoint(services, request.params.id))

  app.patch('/webhooks/endpoints/:id', {
    config: { surface: 'control' },
    schema: {
      operationId: 'updateWebhookEndpoint',
      tags: ['webhooks'],
      summary: 'Change an endpoint\'s URL, secret or events (a field left out keeps its value)',
      params: IdParams,
      body: Type.Object({
        url: Type.Optional(Type.String()),
        secret: Type.Optional(Type.String()),
        events: Type.Optional(Type.Union([Events, Type.Null()], { description: 'null: every event' }))
      }, { additionalProperties: false }),
      response: { 200: EndpointSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
    }
  }, async (request) => updateWebhookEndpoint(services, request.params.id, request.body))

  for (const action of ['enable', 'disable'] as const) {
    app.post(`/webhooks/endpoints/:id/${action}`, {
      config: { surface: 'control' },
      schema: {
        operationId: `${action}WebhookEndpoint`,
        tags: ['webhooks'],
        summary: action === 'enable'
          ? 'Enable an endpoint (its failure count starts afresh)'
          : 'Disable an endpoint: no new deliveries; its waiting ones fail when due unless it is enabled first',
        params: IdParams,
        response: { 200: EndpointSchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
      }
    }, async (request) => {
      const endpoint = enableWebhookEndpoint(services, request.params.id, action === 'enable')
      request.log.info({ endpointId: endpoint.id }, `webhook endpoint ${action}d`)
      return endpoint
    })
  }

  app.delete('/webhooks/endpoints/:id', {
    config: { surface: 'control' },
    schema: {
      operationId: 'removeWebhookEndpoint',
      tags: ['webhooks'],
      summary: 'Remove an endpoint; its waiting deliveries fail (their history stays)',
      params: IdParams,
      response: { 200: Type.Object({ removed: Type.String() }), ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
    }
  }, async (request) => {
    removeWebhookEndpoint(services, request.params.id)
    request.log.info({ endpointId: request.params.id }, 'webhook endpoint removed')
    return { removed: request.params.id }
  })

  app.post('/webhooks/endpoints/:id/send', {
    config: { surface: 'control' },
    schema: {
      operationId: 'sendWebhook',
      tags: ['webhooks'],
      summary: 'Send a body of your own, signed, to an endpoint (a delivery like any other: retried, listed)',
      params: IdParams,
      body: Type.Object({
        body: Type.Unknown({ description: 'The body: any JSON (sent as JSON), or a string (sent as it is)' }),
        event: Type.Optional(Type.String({ minLength: 1, description: 'The Tripo-Webhook-Event header; default the body\'s type, else custom' }))
      }, { additionalProperties: false }),
      response: { 201: DeliverySchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
    }
  }, async (request, reply) => reply.code(201).send(sendWebhook(services, request.params.id, request.body.body, request.body.event)))

  app.get('/webhooks/deliveries', {
    config: { surface: 'control' },
    schema: {
      operationId: 'listWebhookDeliveries',
      tags: ['webhooks'],
      summary: `Webhook deliveries, newest first, each with every attempt (key filter in ${KEY_HEADER})`,
      headers: KeyHeadersSchema,
      querystring: Type.Object({
        endpoint: Type.Optional(Type.String({ description: 'An endpoint id' })),
        event: Type.Optional(Type.String({ description: 'task.completed, task.failed, balance.low, or a custom body\'s event' })),
        task: Type.Optional(Type.String({ description: 'A task id' })),
        status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
        limit: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many' }))
      }),
      response: {
        200: Type.Object({ deliveries: Type.Array(DeliverySchema), capacity: Type.Integer({ description: 'webhookHistorySize: finished deliveries kept' }) }),
        ...errorResponses(...KEY_ERRORS)
      }
    }
  }, async (request) => {
    const { endpoint, event, task, status, limit } = request.query
    const deliveries = listWebhookDeliveries(services, { key: keyOf(services, request.headers), endpointId: endpoint, event, taskId: task, status }, limit)
    return { deliveries, capacity: services.webhooks.settings.historySize }
  })

  app.get('/webhooks/deliveries/:id', {
    config: { surface: 'control' },
    schema: { operationId: 'getWebhookDelivery', tags: ['webhooks'], summary: 'One delivery, with every attempt', params: IdParams, response: { 200: DeliverySchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') } }
  }, async (request) => getWebhookDelivery(services, request.params.id))

  app.post('/webhooks/deliveries/:id/resend', {
    config: { surface: 'control' },
    schema: {
      operationId: 'resendWebhookDelivery',
      tags: ['webhooks'],
      summary: 'Send a delivery again at once (same Tripo-Webhook-Delivery and body); that attempt decides: delivered, or failed',
      params: IdParams,
      response: { 200: DeliverySchema, ...errorResponses(...CONTROL_ERRORS, 'MOCK_NOT_FOUND') }
    }
  }, async (request) => {
    const delivery = resendWebhookDelivery(services, request.params.id)
    request.log.info({ deliveryId: delivery.id }, 'webhook delivery resent')
    return delivery
  })

  app.post('/webhooks/trigger', {
    config: { surface: 'control' },
    schema: {
      operationId: 'triggerWebhook',
      tags: ['webhooks'],
      summary: `Make an event now: a task's (taskId), or balance.low for the key in ${KEY_HEADER}; delivered to every endpoint that receives it, or to one`,
      headers: KeyHeadersSchema,
      body: Type.Object({
        taskId: Type.Optional(Type.String({ description: 'The task of a task.completed or task.failed' })),
        event: Type.Optional(StringEnum(WEBHOOK_EVENTS, { description: 'Default, for a final task: the event of its status' })),
        endpoint: Type.Optional(Type.String({ description: 'Only to this endpoint (whatever its key and events)' }))
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ deliveries: Type.Array(DeliverySchema) }), ...errorResponses(...KEY_ERRORS) }
    }
  }, async (request, reply) => {
    const { taskId, event, endpoint } = request.body
    const deliveries = triggerWebhook(services, { taskId, event, endpointId: endpoint, key: keyOf(services, request.headers) })
    request.log.info({ taskId, event, deliveries: deliveries.length }, 'webhook event triggered')
    return reply.code(201).send({ deliveries })
  })
}

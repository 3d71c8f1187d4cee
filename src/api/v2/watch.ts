/**
 * The WebSocket watch endpoints (reference §2.9): `GET /task/watch/{task_id}`, `/task/watch/all`
 * and `/task/watch/all/{since}`.
 *
 * The upgrade request goes through the whole V2 pipeline first (auth, rate limit, params, the
 * task's owner), so a refusal is the usual HTTP error envelope with its trace id, and no upgrade.
 * Then text frames `{"event":"update"|"finalized","data":<task>}`, `data` being exactly what
 * `GET /task/{task_id}` answers, pushed by the watch schedule (domain/watch-schedule.ts).
 *
 * Close codes: 1000 after a task's `finalized` frame; 1001 when the server shuts down; 4410 when
 * `reset` forgets the watched task or key (like HTTP 410 Gone: reconnecting answers 404/2001).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import websocket, { type WebSocket } from '@fastify/websocket'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import { ApiError } from '../../domain/errors.ts'
import { parseRfc3339 } from '../../domain/rfc3339.ts'
import { type TaskRecord, taskState } from '../../domain/task.ts'
import type { WatchEvent, WatchSink } from '../../domain/watch-schedule.ts'
import { answerOnSocket, TRACE_HEADER } from '../../infra/error-handler.ts'
import type { Services } from '../../services.ts'
import { COMMON_API_ERRORS, errorResponses } from '../common.ts'
import { baseUrlOf, linkMaker } from '../links.ts'
import { toWireTask, type WireTask } from './task-wire.ts'

export const WATCH_CLOSE_CODES = {
  /** After the `finalized` frame of a watched task. */
  finalized: 1000,
  /** The server is shutting down (Going Away). */
  shutdown: 1001,
  /** `reset` forgot the watched task or key. */
  forgotten: 4410
} as const

export interface WatchFrame {
  readonly event: WatchEvent
  readonly data: WireTask
}

/**
 * Decides whether a connection fault drops the socket instead of sending `frame` (`framesSent`
 * frames went out before it). Dropping is a `terminate()`: no close frame, the client sees 1006.
 */
export type WatchFault = (frame: WatchFrame, framesSent: number) => boolean

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The seam for connection faults on a watch socket: whatever decides them (the scenario
     * engine) sets it on the upgrade request, before the route runs; the watch asks it before
     * every frame.
     */
    watchFault: WatchFault | null
  }
}

/** What to watch, and the base of the frames' output URLs (a Host no URL can be built on is refused before the upgrade). */
type Plan = ({ readonly task: TaskRecord } | { readonly since: number | undefined }) & { readonly base: string }

/** What the route's checks resolved before the upgrade, for the WebSocket handler after it. */
const plans = new WeakMap<FastifyRequest, Plan>()
/** Trace ids of upgrade requests, for the 101 response, which `ws` writes itself. */
const traceIds = new WeakMap<IncomingMessage, string>()

/**
 * @fastify/websocket in the watch routes' own scope: only they upgrade. An upgrade request to any
 * other route is answered over plain HTTP (and its connection closed, below), never switched to a
 * WebSocket that would carry nothing.
 */
export const websocketSupport: FastifyPluginAsync = fp(async (app) => {
  app.decorateRequest('watchFault', null)
  // Before the plugin's own preClose (which closes without a code): shutting down is 1001.
  app.addHook('preClose', async () => {
    for (const client of app.websocketServer.clients) client.close(WATCH_CLOSE_CODES.shutdown, 'server shutting down')
  })
  await app.register(websocket, {
    // A client that breaks the protocol (or vanishes) is not an emulator fault: log it, cut it off.
    errorHandler (error, socket, request) {
      request.log.warn({ err: error }, 'watch socket error')
      socket.terminate()
    },
    // A client that never answers a close frame is cut off after this, not after ws's 30 s: a
    // shutdown must not wait for it.
    // (ws 8.23 has the option; its type declarations do not name it yet.)
    options: { closeTimeout: CLOSE_TIMEOUT_MS } as object
  })
  app.websocketServer.on('headers', (headers: string[], request: IncomingMessage) => {
    const traceId = traceIds.get(request)
    if (traceId !== undefined) headers.push(`${TRACE_HEADER}: ${traceId}`)
  })
  // A handshake ws refuses (no Sec-WebSocket-Key, a version it does not speak) is answered in the
  // envelope with a trace id, as every refusal, rather than with ws's own text/html.
  app.websocketServer.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) => {
    // Only the watch routes upgrade, and their checks, which ran first, noted the trace id.
    const traceId = traceIds.get(request) as string
    app.log.info({ traceId, detail: error.message }, 'answered 1004: not a WebSocket handshake')
    answerOnSocket(socket, new ApiError('INVALID_PARAMETER', { detail: error.message }), traceId)
  })
  // Node hands every request with an Upgrade header to the upgrade listeners (the plugin's, which
  // routes it through Fastify, runs first), on a socket it no longer manages: once such a request
  // is answered over plain HTTP (a refusal, a route that is no watch), its socket is closed here,
  // or it would stay open for good and hold the server's close.
  app.server.on('upgrade', (_request: IncomingMessage, socket: Socket) => {
    // The answer the plugin set up for the request on this socket (ServerResponse.assignSocket).
    const answer = (socket as Socket & { _httpMessage: ServerResponse })._httpMessage
    answer.once('finish', () => { socket.destroySoon() })
  })
}, { name: 'tripo-mock-websocket' })

/** How long a closing watch waits for the client's close frame before it cuts the connection. */
export const CLOSE_TIMEOUT_MS = 1000

const FRAME_FORMAT = 'Text frames `{"event":"update"|"finalized","data":<Task>}`, `data` being the `GET /task/{task_id}` data.'

const SWITCHING = (what: string) => ({
  type: 'null',
  description: `Switching Protocols (send \`Upgrade: websocket\`). ${what} ${FRAME_FORMAT}`
})

const NOT_AN_UPGRADE = 'Without `Upgrade: websocket`, the routes answer 400/1004.'

export const watchRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { emulator, watches } = services
  await app.register(websocketSupport)
  app.addHook('onClose', async () => { watches.close() })

  const refuseHttp = async (): Promise<never> => {
    throw new ApiError('INVALID_PARAMETER', { detail: 'a watch endpoint needs a WebSocket upgrade (Upgrade: websocket)' })
  }

  const serve = (socket: WebSocket, request: FastifyRequest): void => {
    const plan = plans.get(request) as Plan
    const single = 'task' in plan
    const linkFor = linkMaker(services, plan.base)
    let framesSent = 0
    const sink: WatchSink = {
      push (task, event, now) {
        if (socket.readyState !== socket.OPEN) return
        const frame: WatchFrame = { event, data: toWireTask(task, taskState(task, now), linkFor) }
        if (request.watchFault?.(frame, framesSent) === true) {
          request.log.info({ framesSent }, 'watch dropped by a connection fault')
          socket.terminate()
          return
        }
        socket.send(JSON.stringify(frame))
        framesSent += 1
        if (single && event === 'finalized') socket.close(WATCH_CLOSE_CODES.finalized, 'finalized')
      },
      forgotten () {
        socket.close(WATCH_CLOSE_CODES.forgotten, 'forgotten by reset')
      }
    }
    request.log.info(single ? { taskId: plan.task.id } : { since: plan.since }, 'watch opened')
    const watch = single ? watches.watchTask(plan.task, sink) : watches.watchAll(request.tenant, sink, plan.since)
    socket.on('close', (code) => {
      watch.cancel()
      request.log.info({ code, framesSent }, 'watch closed')
    })
  }

  app.route({
    method: 'GET',
    url: '/task/watch/:task_id',
    config: { operation: 'watchTask', surface: 'v2' },
    schema: {
      operationId: 'watchTask',
      tags: ['watch'],
      summary: 'Watch a task (WebSocket)',
      description: 'Sends the task\'s current state at once, an `update` at every change of status or progress step, ' +
        'then `finalized` at its final status and closes (1000). A task already final gets `finalized` and the close at once. ' +
        `${NOT_AN_UPGRADE} A \`reset\` of the key closes the socket with 4410.`,
      params: Type.Object({ task_id: Type.String({ description: 'UUID returned by POST /task' }) }),
      response: {
        101: SWITCHING('Frames follow until the task is final.'),
        ...errorResponses('INVALID_PARAMETER', 'TASK_NOT_FOUND', ...COMMON_API_ERRORS)
      }
    },
    preHandler: async (request) => {
      plans.set(request, { task: emulator.getTask(request.tenant, request.params.task_id), base: baseUrlOf(services, request) })
      traceIds.set(request.raw, request.id)
    },
    handler: refuseHttp,
    wsHandler: serve
  })

  const ALL_DESCRIPTION = 'Sends the current state of every task of the key that is not final yet, then an `update` or ' +
    '`finalized` frame at every change of any task of the key, including tasks created later. Stays open.'
  app.route({
    method: 'GET',
    url: '/task/watch/all',
    config: { operation: 'watchAll', surface: 'v2' },
    schema: {
      operationId: 'watchAll',
      tags: ['watch'],
      summary: 'Watch every task of the key (WebSocket)',
      description: `${ALL_DESCRIPTION} ${NOT_AN_UPGRADE}`,
      response: {
        101: SWITCHING('Frames follow until the client leaves.'),
        ...errorResponses('INVALID_PARAMETER', ...COMMON_API_ERRORS)
      }
    },
    preHandler: async (request) => {
      plans.set(request, { since: undefined, base: baseUrlOf(services, request) })
      traceIds.set(request.raw, request.id)
    },
    handler: refuseHttp,
    wsHandler: serve
  })

  app.route({
    method: 'GET',
    url: '/task/watch/all/:since',
    config: { operation: 'watchAll', surface: 'v2' },
    schema: {
      operationId: 'watchAllSince',
      tags: ['watch'],
      summary: 'Watch every task of the key, replaying those finished since a time (WebSocket)',
      description: 'First replays, as `finalized` frames in the order they finished, the tasks of the key that reached ' +
        `their final status at or after \`since\` (on the emulator's clock); then as \`/task/watch/all\`: ${ALL_DESCRIPTION} ` +
        `A \`since\` that is not RFC 3339 (an offset is required) answers 400/1004. ${NOT_AN_UPGRADE}`,
      params: Type.Object({
        since: Type.String({ format: 'date-time', description: 'RFC 3339 time, e.g. 2026-01-01T00:00:00Z or 1997-07-16T19:20:30+01:00' })
      }),
      response: {
        101: SWITCHING('Replayed frames first, then frames until the client leaves.'),
        ...errorResponses('INVALID_PARAMETER', ...COMMON_API_ERRORS)
      }
    },
    preHandler: async (request) => {
      const since = parseRfc3339(request.params.since)
      if (since === undefined) throw new ApiError('INVALID_PARAMETER', { detail: `since ${request.params.since} is not an RFC 3339 time` })
      plans.set(request, { since, base: baseUrlOf(services, request) })
      traceIds.set(request.raw, request.id)
    },
    handler: refuseHttp,
    wsHandler: serve
  })
}

/**
 * `GET /__mock/events`: the emulator's events as Server-Sent Events, for the dashboard and for
 * scripts (`curl -N`). What they carry, and how the stream stays bounded, is in events.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { TRACE_HEADER } from '../infra/error-handler.ts'
import type { Services } from '../services.ts'
import { journalFilter } from './actions.ts'
import { badRequest, errorResponses, KEY_ERRORS, KEY_HEADER, KeyHeadersSchema, keyOf } from './common.ts'
import { EVENT_TOPICS, type EventTopic } from './events.ts'
import { FilterQuery } from './journal.ts'

const DESCRIPTION = 'Server-Sent Events. On connecting: `ready` (`{topics, clock}`). Then, as they happen (batched, ' +
  'at most 50 ms late): `request` (a journal entry, as GET /journal lists it, webhook delivery attempts included; the journal\'s filters apply), ' +
  '`task` (`{change: created|moved|forced, final, task}`: a task created, moved by the clock to its next status or ' +
  'progress step, or forced; changes within one batch come as the latest state), `clock` (the clock after a jump, ' +
  'a mode or a speed change), `reset` (`{scope: all|tenant, key?, keyId?}`), `scenarios` (`{change: activated|' +
  'deactivated|added|removed|reloaded, name?, key?, keyId?}`), and `skipped` (`{events}`: that many events were ' +
  'not sent because the client did not keep up; read the state again). A comment every 15 s keeps the stream open. ' +
  `With ${KEY_HEADER} (or its id), only that key's requests, tasks, resets and scenario bindings.`

export const streamRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { events } = services
  app.addHook('preClose', (done) => {
    events.close()
    done()
  })

  app.get('/events', {
    config: { surface: 'control' },
    schema: {
      operationId: 'streamEvents',
      tags: ['events'],
      summary: 'Live events: requests, task changes, clock jumps, resets, scenario switches',
      description: DESCRIPTION,
      headers: KeyHeadersSchema,
      querystring: Type.Object({
        topics: Type.Optional(Type.String({ description: `Comma-separated, from ${EVENT_TOPICS.join(', ')}; default all` })),
        ...FilterQuery
      }),
      response: {
        200: { description: 'The event stream', content: { 'text/event-stream': { schema: Type.String() } } },
        ...errorResponses(...KEY_ERRORS)
      }
    }
  }, async (request, reply) => {
    const { topics: asked, ...filters } = request.query
    const topics = asked === undefined ? [...EVENT_TOPICS] : asked.split(',').map((topic) => topic.trim())
    const unknown = topics.find((topic) => !(EVENT_TOPICS as readonly string[]).includes(topic))
    if (unknown !== undefined) throw badRequest(`topics: ${JSON.stringify(unknown)} is not one of ${EVENT_TOPICS.join(', ')}`)
    const key = keyOf(services, request.headers)
    const requests = journalFilter(filters)

    reply.hijack()
    const response = reply.raw
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx and its kin would otherwise hold the events back.
      'x-accel-buffering': 'no',
      [TRACE_HEADER]: request.id
    })
    // A HEAD asks for the head alone: a stream that never sends a body would never end.
    if (request.method === 'HEAD') {
      response.end()
      return
    }
    const subscription = events.subscribe({
      write: (text) => { response.write(text) },
      backlog: () => response.writableLength,
      end: () => { response.end() }
    }, { topics: topics as EventTopic[], key, requests })
    request.log.info({ topics }, 'event stream opened')
    response.on('close', () => {
      subscription.cancel()
      request.log.info('event stream closed')
    })
  })
}

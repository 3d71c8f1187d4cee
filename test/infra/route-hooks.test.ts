import type { RouteOptions } from 'fastify'
import t from 'tap'
import { appendRouteHook } from '../../src/infra/route-hooks.ts'

t.test('a hook is added after the route\'s own, whatever form they take', async (t) => {
  const mine = (_request: unknown, _reply: unknown, done: () => void) => { done() }
  const own = (_request: unknown, _reply: unknown, done: () => void) => { done() }
  const route = { method: 'GET', url: '/', handler: () => undefined } as unknown as RouteOptions
  appendRouteHook(route, 'onResponse', mine as never)
  t.same(route.onResponse, [mine], 'none before')
  const single = { ...route, preValidation: own } as unknown as RouteOptions
  appendRouteHook(single, 'preValidation', mine as never)
  t.same(single.preValidation, [own, mine], 'one before')
  const many = { ...route, onSend: [own, own] } as unknown as RouteOptions
  appendRouteHook(many, 'onSend', mine as never)
  t.same(many.onSend, [own, own, mine], 'several before')
})

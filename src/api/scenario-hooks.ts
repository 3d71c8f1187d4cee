/**
 * Where the scenario engine meets HTTP. For every route that names an operation:
 * 1. strip a `[[mock:<name>,...]]` directive from a create-task prompt (the echo stays clean);
 * 2. select the scenarios (header, prompt directive, API key, global) and ask the engine for a rule;
 * 3. apply its effect: latency, then an error, a connection fault, or a fate for the new task.
 * Downloads also obey the delivery their task was given at creation.
 * Every rule that fires is logged with its scenario and recorded as `request.injectedBy`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, preValidationHookHandler } from 'fastify'
import { ApiError } from '../domain/errors.ts'
import type { Fate } from '../domain/lifecycle.ts'
import type { ApiSurface, Operation } from '../domain/operations.ts'
import type { Delivery, Effect, Fault } from '../domain/scenarios/model.ts'
import type { Services } from '../services.ts'
import { answerWithError } from '../infra/error-handler.ts'
import { appendRouteHook } from '../infra/route-hooks.ts'
import { faultBeforeHandler, faultOnPayload, type HangingAnswers } from './faults.ts'

export const SCENARIO_HEADER = 'x-tripo-mock-scenario'

/** `[[mock: name, name]]` anywhere in a prompt. */
const PROMPT_DIRECTIVE = /\s*\[\[mock:([^\]]*)\]\]\s*/i

/** What a scenario decided for a task about to be created. */
export interface ScenarioFate {
  readonly fate: Fate
  readonly delivery?: Delivery
  readonly source: string
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when a scenario decided the fate of the task this request creates. */
    scenarioFate: ScenarioFate | null
    /** A fault to apply to this request's response body. */
    responseFault: Fault | null
  }
}

export function installScenarioHooks (app: FastifyInstance, services: Services): void {
  const { scenarios, clock, emulator, config } = services
  const hanging: HangingAnswers = new Set()
  app.decorateRequest('scenarioFate', null)
  app.decorateRequest('responseFault', null)

  /** Which effect applies to this request, if any (synchronous: most requests stop here). */
  const effectFor = (request: FastifyRequest, route: RouteFacts): { effect: Effect, injectedBy: string, key: string | undefined } | undefined => {
    const { operation } = route
    const promptNames = operation === 'createTask' ? stripDirective(request) : undefined
    const download = operation === 'download' ? emulator.findTask((request.params as { taskId: string }).taskId) : undefined
    const key = request.tenant?.key ?? download?.owner
    const selection = scenarios.select(key, headerNames(request), promptNames)
    const decision = selection === undefined ? undefined : scenarios.decide(selection, factsOf(request, route, key))
    if (decision !== undefined) {
      request.log.info({ scenario: decision.scenario.name, rule: decision.rule.id, selectedBy: decision.source }, 'scenario rule fired')
      return { effect: decision.effect, injectedBy: decision.rule.id, key }
    }
    if (download?.delivery?.downloads !== undefined) {
      // The task's fate, decided at its creation, covers its downloads too.
      request.log.info({ rule: download.fateSource, taskId: download.id }, 'download follows its task\'s scenario fate')
      // A delivery is decided with the fate, by the same rule.
      return { effect: download.delivery.downloads, injectedBy: download.fateSource as string, key }
    }
    return undefined
  }

  const applyEffect = async (request: FastifyRequest, reply: FastifyReply, { effect, injectedBy, key }: NonNullable<ReturnType<typeof effectFor>>): Promise<void> => {
    request.injectedBy = injectedBy
    if (effect.latency !== undefined) await clock.sleep(scenarios.sampleLatency(effect.latency, key, injectedBy))
    if (effect.error !== undefined) {
      const retryAfter = effect.retryAfter ?? (ERROR_STATUS_429.has(effect.error) ? config.scenarioRetryAfter : undefined)
      // Answered here rather than thrown: the error handler's path costs more, and says the same.
      answerWithError(request, reply, new ApiError(effect.error, { injectedBy, detail: `injected by ${injectedBy}`, ...(retryAfter === undefined ? {} : { retryAfter }) }))
      return
    }
    if (effect.fault?.type === 'drop') {
      // Mid-watch: the initial state goes out, then the first frame due `after` in drops the socket.
      const start = clock.now()
      const afterMs = effect.fault.afterMs
      request.watchFault = (_frame, framesSent) => framesSent > 0 && clock.now() - start >= afterMs
    } else if (effect.fault !== undefined && !faultBeforeHandler(effect.fault, request, reply, hanging)) {
      request.responseFault = effect.fault
    }
    if (effect.fate !== undefined) {
      request.scenarioFate = { fate: effect.fate, source: injectedBy, ...(effect.delivery === undefined ? {} : { delivery: effect.delivery }) }
    }
  }

  const applyFault: onSendHookHandler = (request, reply, payload, done) => {
    const fault = request.responseFault
    if (fault === null) return done(null, payload)
    request.responseFault = null
    // Every route that names an operation answers with JSON text or a Buffer.
    done(null, faultOnPayload(fault, payload as string | Buffer, request, reply, clock))
  }

  // Hooks on the routes that name an operation only, with the operation bound: the hot path
  // reads no route configuration, and other routes (docs, control plane) carry no hook at all.
  // Callback-style, so a request no scenario touches costs no promise.
  app.addHook('onRoute', (route) => {
    const operation = route.config?.operation
    if (operation === undefined) return
    const surface = route.config?.surface
    const facts: RouteFacts = { operation, surface: surface === 'v2' || surface === 'v3' ? surface : undefined, taskType: route.config?.taskType }
    const preValidation: preValidationHookHandler = (request, reply, done) => {
      const applying = effectFor(request, facts)
      if (applying === undefined) return done()
      applyEffect(request, reply, applying).then(() => done(), done)
    }
    appendRouteHook(route, 'preValidation', preValidation)
    appendRouteHook(route, 'onSend', applyFault)
  })

  app.addHook('preClose', async () => {
    clock.wakeAll()
    for (const answer of hanging) answer.destroy()
  })
}

const ERROR_STATUS_429: ReadonlySet<string> = new Set(['RATE_LIMITED', 'GENERATION_LIMIT'])

function headerNames (request: FastifyRequest): string[] | undefined {
  const header = request.headers[SCENARIO_HEADER]
  if (header === undefined) return undefined
  // Node joins a repeated custom header into one comma-separated value.
  return splitNames(header as string)
}

/** Takes the directive out of the prompt, so validation and the `input` echo never see it. */
function stripDirective (request: FastifyRequest): string[] | undefined {
  const body = request.body as Record<string, unknown> | null
  const prompt = body?.['prompt']
  if (typeof prompt !== 'string') return undefined
  const found = PROMPT_DIRECTIVE.exec(prompt)
  if (found === null) return undefined
  body!['prompt'] = (prompt.slice(0, found.index) + ' ' + prompt.slice(found.index + found[0].length)).trim()
  return splitNames(found[1] as string)
}

function splitNames (text: string): string[] {
  return text.split(',').map((name) => name.trim()).filter((name) => name.length > 0)
}

/** What a route tells the scenario engine of every request it takes, bound once per route. */
interface RouteFacts {
  readonly operation: Operation
  readonly surface: ApiSurface | undefined
  /** V3's creation routes create one type each; V2's names it in the body. */
  readonly taskType: string | undefined
}

function factsOf (request: FastifyRequest, route: RouteFacts, key: string | undefined) {
  const body = route.operation === 'createTask' ? request.body as Record<string, unknown> | null : null
  const type = route.taskType ?? body?.['type']
  const prompt = body?.['prompt']
  return {
    operation: route.operation,
    surface: route.surface,
    key,
    taskType: typeof type === 'string' ? type : undefined,
    prompt: typeof prompt === 'string' ? prompt : undefined,
    headers: request.headers
  }
}

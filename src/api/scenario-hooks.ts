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
import type { TaskRecord } from '../domain/task.ts'
import { decidesOutcome, type FiredDelay } from '../domain/scenarios/engine.ts'
import type { Delivery, Effect, Fault, Latency } from '../domain/scenarios/model.ts'
import type { Services } from '../services.ts'
import { answerWithError } from '../infra/error-handler.ts'
import { appendRouteHook } from '../infra/route-hooks.ts'
import { faultBeforeHandler, faultOnPayload, type HangingAnswers } from './faults.ts'

export const SCENARIO_HEADER = 'x-tripo-mock-scenario'

/**
 * `[[mock: name, name]]` anywhere in a prompt. Nothing may come before the literal `[[mock:` and
 * the names are bounded: a search over a huge prompt stays linear (a leading `\s*` made it
 * quadratic: 160,000 spaces froze the server for 31 s).
 */
const PROMPT_DIRECTIVE = /\[\[mock:([^\]]{0,256})\]\]/i

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
  const effectFor = (request: FastifyRequest, route: RouteFacts): Applying | undefined => {
    const { operation } = route
    const promptNames = operation === 'createTask' ? stripDirective(request) : undefined
    const download = operation === 'download' ? emulator.findTask((request.params as { taskId: string }).taskId) : undefined
    const key = request.tenant?.key ?? download?.owner
    const selection = scenarios.select(key, headerNames(request), promptNames)
    const decision = selection === undefined ? undefined : scenarios.decide(selection, factsOf(request, route, key))
    const delivery = download?.delivery?.downloads
    if (decision === undefined && delivery === undefined) return undefined
    if (decision !== undefined) {
      request.log.info({ scenario: decision.scenario.name, rule: decision.rule.id, selectedBy: decision.source }, 'scenario rule fired')
      for (const delay of decision.delays) request.log.info({ scenario: delay.scenario, rule: delay.ruleId, selectedBy: decision.source }, 'scenario rule fired')
      if (delivery === undefined) return { effect: decision.effect, injectedBy: decision.rule.id, key, delays: decision.delays }
    }
    // A download of a task whose fate (decided at its creation, with its delivery) covers its
    // downloads: the request's own scenarios decide if they give an outcome; latencies add up.
    const fateSource = (download as TaskRecord).fateSource as string
    const downloads = delivery as Effect
    if (decision !== undefined && (decidesOutcome(decision.effect) || !decidesOutcome(downloads))) {
      const delays = downloads.latency === undefined ? decision.delays : [...decision.delays, { scenario: '', ruleId: fateSource, latency: downloads.latency }]
      return { effect: decision.effect, injectedBy: decision.rule.id, key, delays }
    }
    request.log.info({ rule: fateSource, taskId: download?.id }, 'download follows its task\'s scenario fate')
    const delays = decision === undefined ? [] : [...decision.delays, { scenario: decision.scenario.name, ruleId: decision.rule.id, latency: decision.effect.latency as Latency }]
    return { effect: downloads, injectedBy: fateSource, key, delays }
  }

  const applyEffect = async (request: FastifyRequest, reply: FastifyReply, { effect, injectedBy, key, delays }: Applying): Promise<void> => {
    request.injectedBy = injectedBy
    // Latencies of every rule that fired add up: one wait.
    let latencyMs = effect.latency === undefined ? 0 : scenarios.sampleLatency(effect.latency, key, injectedBy)
    for (const delay of delays) latencyMs += scenarios.sampleLatency(delay.latency, key, delay.ruleId)
    if (latencyMs > 0) await clock.sleep(latencyMs)
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

/** What a request is in for: the effect that decides its outcome, by whom, and the delays of other rules. */
interface Applying {
  readonly effect: Effect
  readonly injectedBy: string
  readonly key: string | undefined
  /** Other rules that fired for their latency alone (and a task's delivery): each adds its delay. */
  readonly delays: readonly FiredDelay[]
}

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
  body!['prompt'] = `${prompt.slice(0, found.index).trimEnd()} ${prompt.slice(found.index + found[0].length).trimStart()}`.trim()
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

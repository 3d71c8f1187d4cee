/**
 * The composition root: builds the domain services from the configuration. Routes receive them
 * as plugin options; tests pass overrides (a manual clock, other folders) instead of mocking modules.
 */
import { join, resolve } from 'node:path'
import { EventHub } from './control/events.ts'
import { Metrics } from './control/metrics.ts'
import { type Clock, createClock } from './domain/clock.ts'
import { ASSETS, type AssetName } from './domain/assets.ts'
import { MAX_DURATION_MS, parseDuration } from './domain/durations.ts'
import { Emulator } from './domain/emulator.ts'
import type { ApiError } from './domain/errors.ts'
import { didYouMean } from './domain/did-you-mean.ts'
import { FileStore } from './domain/files.ts'
import { Journal } from './domain/journal.ts'
import { ReadinessRegistry } from './domain/readiness.ts'
import { ResetRegistry } from './domain/resets.ts'
import { RetryAfterWatch } from './domain/retry-after.ts'
import { ScenarioEngine } from './domain/scenarios/engine.ts'
import { loadScenarios } from './domain/scenarios/loader.ts'
import { UrlSigner } from './domain/signed-urls.ts'
import { filesPart } from './domain/state/files.ts'
import { StateRegistry } from './domain/state/registry.ts'
import { scenariosPart } from './domain/state/scenarios.ts'
import { tenantsPart } from './domain/state/tenants.ts'
import { webhooksPart } from './domain/state/webhooks.ts'
import { maskKey } from './domain/tenants.ts'
import type { ConcurrencyGroup } from './domain/task-types/index.ts'
import { WatchSchedule } from './domain/watch-schedule.ts'
import type { WebhookTransport } from './domain/webhooks/model.ts'
import { WebhookService, type WebhookServiceDeps } from './domain/webhooks/service.ts'
import { type Config, ConfigError, type ConfigKey, settingSource, StartupError } from './infra/config.ts'
import { type Fixture, loadFixtures } from './infra/fixtures.ts'
import { PACKAGE_ROOT, PACKAGE_VERSION } from './infra/package-info.ts'
import { readStateFile, statePath } from './infra/state-files.ts'

/** The dashboard, as `npm run build` writes it. */
export const DASHBOARD_DIR = join(PACKAGE_ROOT, 'dist', 'ui')

/** The built-in scenarios shipped with the package. */
export const BUILTIN_SCENARIOS_DIR = join(PACKAGE_ROOT, 'scenarios')

export interface Services {
  readonly config: Readonly<Config>
  readonly clock: Clock
  readonly emulator: Emulator
  readonly signer: UrlSigner
  /** Uploads, STS credentials and objects, and the resolution of file references. */
  readonly files: FileStore
  /** The sample output files, by asset name, loaded once. */
  readonly fixtures: ReadonlyMap<AssetName, Fixture>
  readonly scenarios: ScenarioEngine
  /** Re-reads the scenario files; all or nothing (a bad file leaves the loaded set in place). */
  readonly reloadScenarios: () => void
  /** Pushes task changes to the WebSocket watchers. */
  readonly watches: WatchSchedule
  /** Forgets one key, or everything: every per-key service registers here (control plane: reset). */
  readonly resets: ResetRegistry
  /** What `GET /__mock/ready` asks: whatever loads at start registers a check. */
  readonly readiness: ReadinessRegistry
  /** The latest requests to the emulated API. */
  readonly journal: Journal
  /** Retry-After windows per key and operation: early retries. */
  readonly retryAfter: RetryAfterWatch
  /** Prometheus counters, on a registry of this app's own. */
  readonly metrics: Metrics
  /** The live event stream of the control plane (`/__mock/events`). */
  readonly events: EventHub
  /** Where the built dashboard is (dist/ui). */
  readonly dashboardDir: string
  /** Webhook endpoints, events and deliveries (sent once the app connects a transport). */
  readonly webhooks: WebhookService
  /** Snapshots: every service whose state a snapshot holds registers a part here (control plane: state). */
  readonly state: StateRegistry
}

export interface ServiceOverrides {
  readonly clock?: Clock
  readonly urlSecret?: Buffer
  /** Another folder of built-in scenarios (tests). */
  readonly scenariosDir?: string
  /** Other sample files (tests). */
  readonly fixtures?: ReadonlyMap<AssetName, Fixture>
  /** Another built dashboard (tests). */
  readonly dashboardDir?: string
  /** Ids of tasks, tokens, object keys and webhooks, and the bytes of credentials (a reproducible demo state). */
  readonly newId?: () => string
  readonly random?: (size: number) => Buffer
  /** The wall clock of webhook signatures' `t`, and how attempts leave instead of HTTP (a reproducible demo state). */
  readonly wallNow?: () => number
  readonly webhookTransport?: WebhookTransport
}

/** Every scenario the configuration activates exists; else a refusal naming the setting and its source. */
function checkScenarioNames (config: Readonly<Config>, known: readonly string[]): void {
  const check = (setting: string, key: ConfigKey, names: readonly string[]) => {
    const unknown = names.find((name) => !known.includes(name))
    if (unknown === undefined) return
    const from = config.scenariosDir === '' ? 'the built-in ones' : `the built-in ones and those of ${config.scenariosDir}`
    const guess = didYouMean(unknown, known)
    throw new ConfigError(`invalid setting ${setting} (${settingSource(config, key)}): unknown scenario "${unknown}"; ${guess === '' ? `the scenarios are ${from}` : guess}`)
  }
  check('scenarios', 'scenarios', config.scenarios)
  // A key of scenarioKeys is an API key: masked, as everywhere the emulator shows one.
  for (const [key, names] of Object.entries(config.scenarioKeys)) check(`scenarioKeys.${maskKey(key)}`, 'scenarioKeys', names)
}

export function createServices (config: Readonly<Config>, overrides: ServiceOverrides = {}): Services {
  const clock = overrides.clock ?? createClock({ mode: config.clockMode, speed: config.clockSpeed })
  const files = new FileStore(clock, {
    settings: {
      uploadTokenTtlSeconds: config.uploadTokenTtlSeconds,
      stsCredentialTtlSeconds: config.stsCredentialTtlSeconds,
      imageMaxBytes: config.imageMaxBytes,
      modelMaxBytes: config.modelMaxBytes,
      maxUploads: config.maxUploads,
      maxObjectBytes: config.maxObjectBytes
    },
    ...(overrides.newId === undefined ? {} : { newId: overrides.newId }),
    ...(overrides.random === undefined ? {} : { random: overrides.random })
  })
  const emulator = new Emulator({
    clock,
    files,
    ...(overrides.newId === undefined ? {} : { newId: overrides.newId }),
    settings: {
      startingCredits: config.startingCredits,
      allowedKeys: config.apiKeys,
      maxPriority: config.maxPriority,
      retiredVersions: config.retiredVersions,
      bannedWords: config.contentPolicyWords,
      groupLimits: config.concurrencyLimits as Partial<Record<ConcurrencyGroup, number>>,
      durations: config.durations,
      requestsPerSecond: config.requestsPerSecond,
      uploadsPerSecond: config.uploadsPerSecond,
      stalledRetryAfter: config.stalledRetryAfter,
      taskTtlMs: config.taskTtlSeconds * 1000,
      maxTasks: config.maxTasks,
      // Outputs must stay downloadable for as long as the URLs handed out last.
      taskMinKeepMs: config.urlExpirySeconds * 1000,
      tenantTtlMs: config.tenantTtlSeconds * 1000,
      maxTenants: config.maxTenants
    }
  })
  const signer = new UrlSigner(clock, config.urlExpirySeconds, overrides.urlSecret)
  const readScenarios = () => loadScenarios(overrides.scenariosDir ?? BUILTIN_SCENARIOS_DIR, config.scenariosDir)
  const loaded = readScenarios()
  checkScenarioNames(config, loaded.map((scenario) => scenario.name))
  const scenarios = new ScenarioEngine({ seed: config.seed, scenarios: loaded, global: config.scenarios, keys: config.scenarioKeys })
  const watches = new WatchSchedule(clock, emulator)
  const fixtures = overrides.fixtures ?? loadFixtures()
  const journal = new Journal(config.journalSize)
  const retryAfter = new RetryAfterWatch()
  const metrics = new Metrics(emulator)
  const events = new EventHub({ clock, emulator, watches })
  const webhooks = createWebhooks(config, {
    clock,
    emulator,
    scenarios,
    ...(overrides.newId === undefined ? {} : { newId: overrides.newId }),
    ...(overrides.wallNow === undefined ? {} : { wallNow: overrides.wallNow })
  })
  // A key the tenant bounds forget held nothing; its rule counters and Retry-After windows go with it.
  emulator.onTenantEvicted(({ key }) => {
    scenarios.forgetRuleState(key)
    retryAfter.reset(key)
  })

  const resets = new ResetRegistry()
  resets.register('emulator', (key) => { emulator.reset(key) })
  resets.register('journal', (key) => { journal.clear(key) })
  resets.register('retryAfter', (key) => { retryAfter.reset(key) })
  resets.register('scenarios', (key) => { scenarios.reset(key) })
  resets.register('webhooks', (key) => { webhooks.reset(key) })
  // Counters are not per key: only a global reset zeroes them.
  resets.register('metrics', (key) => { if (key === undefined) metrics.reset() })

  const readiness = new ReadinessRegistry()
  readiness.register('fixtures', () => {
    const missing = Object.keys(ASSETS).filter((name) => !fixtures.has(name as AssetName))
    return missing.length === 0 || `missing sample files: ${missing.join(', ')}`
  })
  readiness.register('scenarios', () => scenarios.list().some((scenario) => scenario.origin === 'builtin') || 'no built-in scenarios loaded')

  const state = new StateRegistry({ clock, emulatorVersion: PACKAGE_VERSION })
  state.register(tenantsPart(emulator))
  state.register(filesPart(files))
  state.register(scenariosPart(scenarios))
  // After the tenants: importing webhooks files the imported tasks on the webhook schedule.
  state.register(webhooksPart(webhooks))

  const reloadScenarios = () => scenarios.replaceLoaded(readScenarios())
  const services = { config, clock, emulator, signer, files, fixtures, scenarios, reloadScenarios, watches, resets, readiness, journal, retryAfter, metrics, events, webhooks, dashboardDir: overrides.dashboardDir ?? DASHBOARD_DIR, state }
  if (config.import !== '') importAtStart(services)
  return services
}

/**
 * Loads the `import` snapshot (a file, or a prepared state's name). What the start itself asks
 * for stays on top of it: the clock's mode and speed, and the configured scenario activations.
 * When the file is also the `exportOnExit` file and does not exist yet, this is a first start.
 */
function importAtStart (services: Services): void {
  const { config, clock, scenarios, state } = services
  const document = readStateFile(config.import, config.exportOnExit !== '' && resolve(statePath(config.import)) === resolve(config.exportOnExit))
  if (document === undefined) return
  const { mode, speed } = clock.state()
  try {
    state.import(document)
  } catch (error) {
    throw new StartupError(`cannot import ${statePath(config.import)}: ${(error as Error).message}`)
  }
  clock.setMode(mode)
  clock.setSpeed(speed)
  for (const name of config.scenarios) scenarios.activate(name)
  for (const [key, names] of Object.entries(config.scenarioKeys)) for (const name of names) scenarios.activate(name, key)
}

function createWebhooks (config: Readonly<Config>, deps: Omit<WebhookServiceDeps, 'settings'>): WebhookService {
  const retrySchedule = config.webhookRetrySchedule.map((duration) => parseDuration(duration) as number)
  // As a scenario's durations: whatever it adds to the clock stays an instant the emulator can render.
  const tooLong = config.webhookRetrySchedule.find((_duration, index) => (retrySchedule[index] as number) > MAX_DURATION_MS)
  if (tooLong !== undefined) throw new ConfigError(`invalid setting webhookRetrySchedule (${settingSource(config, 'webhookRetrySchedule')}): ${tooLong} is more than 8760h (a year)`)
  try {
    return new WebhookService({
      ...deps,
      settings: {
        endpoints: config.webhooks,
        retrySchedule,
        disableAfterFailures: config.webhookDisableAfterFailures,
        balanceThreshold: config.webhookBalanceThreshold,
        historySize: config.webhookHistorySize,
        maxPending: config.webhookMaxPending,
        concurrency: config.webhookConcurrency
      }
    })
  } catch (error) {
    // The schema checks the shape; the service refuses the rest (a URL that does not parse) with a detail.
    throw new ConfigError(`invalid setting webhooks (${settingSource(config, 'webhooks')}): ${(error as ApiError).detail as string}`)
  }
}

/**
 * The composition root: builds the domain services from the configuration. Routes receive them
 * as plugin options; tests pass overrides (a manual clock, fixed ids) instead of mocking modules.
 */
import { join } from 'node:path'
import { type Clock, createClock } from './domain/clock.ts'
import { type AssetName } from './domain/assets.ts'
import { Emulator } from './domain/emulator.ts'
import { isApiError } from './domain/errors.ts'
import { FileStore } from './domain/files.ts'
import { ScenarioEngine } from './domain/scenarios/engine.ts'
import { loadScenarios } from './domain/scenarios/loader.ts'
import { UrlSigner } from './domain/signed-urls.ts'
import { type ConcurrencyGroup } from './domain/task-types/index.ts'
import { WatchSchedule } from './domain/watch-schedule.ts'
import { type Config, ConfigError } from './infra/config.ts'
import { type Fixture, loadFixtures } from './infra/fixtures.ts'
import { PACKAGE_ROOT } from './infra/package-info.ts'

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
}

export interface ServiceOverrides {
  readonly clock?: Clock
  readonly newId?: () => string
  readonly urlSecret?: Buffer
  /** Another folder of built-in scenarios (tests). */
  readonly scenariosDir?: string
}

export function createServices (config: Readonly<Config>, overrides: ServiceOverrides = {}): Services {
  const clock = overrides.clock ?? createClock({ mode: config.clockMode, speed: config.clockSpeed })
  const files = new FileStore(clock, {
    settings: {
      uploadTokenTtlSeconds: config.uploadTokenTtlSeconds,
      stsCredentialTtlSeconds: config.stsCredentialTtlSeconds,
      imageMaxBytes: config.imageMaxBytes,
      modelMaxBytes: config.modelMaxBytes
    }
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
      stalledRetryAfter: config.stalledRetryAfter
    }
  })
  const signer = new UrlSigner(clock, config.urlExpirySeconds, overrides.urlSecret)
  const readScenarios = () => loadScenarios(overrides.scenariosDir ?? BUILTIN_SCENARIOS_DIR, config.scenariosDir)
  let scenarios: ScenarioEngine
  try {
    scenarios = new ScenarioEngine({ seed: config.seed, scenarios: readScenarios(), global: config.scenarios, keys: config.scenarioKeys })
  } catch (error) {
    // An unknown scenario named by the configuration is a bad setting.
    if (isApiError(error)) throw new ConfigError(`invalid setting scenarios or scenarioKeys: ${error.detail ?? error.message}`)
    throw error
  }
  const watches = new WatchSchedule(clock, emulator)
  return { config, clock, emulator, signer, files, fixtures: loadFixtures(), scenarios, reloadScenarios: () => scenarios.replaceLoaded(readScenarios()), watches }
}

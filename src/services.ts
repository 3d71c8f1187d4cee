/**
 * The composition root: builds the domain services from the configuration. Routes receive them
 * as plugin options; tests pass overrides (a manual clock, fixed ids) instead of mocking modules.
 */
import { type Clock, createClock } from './domain/clock.ts'
import { type AssetName } from './domain/assets.ts'
import { Emulator } from './domain/emulator.ts'
import { FileStore } from './domain/files.ts'
import { type ConcurrencyGroup } from './domain/task-types/index.ts'
import { UrlSigner } from './domain/signed-urls.ts'
import { type Config } from './infra/config.ts'
import { type Fixture, loadFixtures } from './infra/fixtures.ts'

export interface Services {
  readonly config: Readonly<Config>
  readonly clock: Clock
  readonly emulator: Emulator
  readonly signer: UrlSigner
  /** Uploads, STS credentials and objects, and the resolution of file references. */
  readonly files: FileStore
  /** The sample output files, by asset name, loaded once. */
  readonly fixtures: ReadonlyMap<AssetName, Fixture>
}

export interface ServiceOverrides {
  readonly clock?: Clock
  readonly newId?: () => string
  readonly urlSecret?: Buffer
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
  return { config, clock, emulator, signer, files, fixtures: loadFixtures() }
}

/**
 * Snapshots of the emulator's state: one versioned JSON document, composed of the sections that
 * services register (the tenants and their tasks, the files, the scenarios, the webhooks), the way
 * every per-key service registers its reset (../resets.ts). Each part exports its
 * section (everything, or one key's) and imports one.
 *
 * An import is all or nothing: the document is checked against the schema, then every part checks
 * its section against the emulator and says how it would apply it, and only then does every part
 * apply. A bad document changes nothing and is refused with a StateError naming the field.
 *
 * Time: a snapshot resumes where it was taken. The emulator's clock is not set back (time never
 * runs backwards); every instant of the snapshot moves by (now − the snapshot's now) instead, so a
 * task 40% through its run is 40% through after the import, and an upload with an hour to live has
 * an hour.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { Type, type TSchema } from 'typebox'
import type { Clock, ClockMode } from '../clock.ts'
import { describe } from '../scenarios/compile.ts'
import { StringEnum } from '../task-types/schema-kit.ts'
import { maskKey } from '../tenants.ts'

export const STATE_FORMAT = 'tripo-mock/state'
export const STATE_VERSION = 1

/** What a snapshot says, refused: "<field>: <problem>", the field as a path from the document's root. */
export class StateError extends Error {
  override name = 'StateError'
}

/** What a part needs to know to import its section. */
export interface ImportContext {
  /** The key of a one-key import; undefined when the whole state is replaced. */
  readonly key: string | undefined
  /** The snapshot's time (its clock's `now`): what was final or settled then is judged against it. */
  readonly then: number
  /** Milliseconds to add to every instant of the snapshot: now − then. */
  readonly shift: number
}

/** How much a part holds after an import, by kind (tasks, uploads...). */
export type Counts = Readonly<Record<string, number>>

export interface StatePart<Section> {
  /** The section's name: a top-level field of the document. */
  readonly name: string
  /** The section's JSON Schema: what validates it, and what documents it. */
  readonly schema: TSchema
  /** The section: everything the part holds, or one key's. */
  export (key?: string): Section
  /**
   * Checks a section against the emulator (what a schema cannot say: references, collisions) and
   * returns how to apply it; changes nothing. Throws StateError("<field>: <problem>"). An absent
   * section (a snapshot from before the part existed) means: nothing of it. The returned function
   * must not throw; it answers what the part then holds (everything, or the key's).
   */
  prepare (section: Section | undefined, context: ImportContext): () => Counts
}

const ClockSchema = Type.Object({
  mode: StringEnum(['real', 'manual'] as const),
  speed: Type.Number({ exclusiveMinimum: 0 }),
  now: Type.Number({ description: 'The emulator\'s time when the snapshot was taken (epoch ms): every instant in the snapshot is on this clock' })
}, { additionalProperties: false })

/** The envelope every snapshot has, whatever parts it holds. */
export interface StateDocument {
  readonly format: typeof STATE_FORMAT
  readonly version: number
  /** Wall time of the export (ISO 8601). */
  readonly writtenAt: string
  /** The tripo-mock version that wrote it. */
  readonly emulatorVersion: string
  /** Present when the snapshot holds one API key's state only. */
  readonly key?: string
  readonly clock: { readonly mode: ClockMode, readonly speed: number, readonly now: number }
  readonly [section: string]: unknown
}

export interface ImportDone {
  readonly scope: 'all' | 'tenant'
  /** The key of a one-key import, masked. */
  readonly key?: string
  /** How far the snapshot's instants moved (now − the snapshot's now), in ms. */
  readonly shiftedMs: number
  /** What each part holds now (of the key, for a one-key import). */
  readonly parts: Readonly<Record<string, Counts>>
}

export interface StateRegistryOptions {
  readonly clock: Clock
  /** The version written into every snapshot. */
  readonly emulatorVersion: string
}

// Validation of a snapshot, compiled on the first import (never at start: it would cost every cold start).
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true, validateSchema: false })

export class StateRegistry {
  private readonly clock: Clock
  private readonly emulatorVersion: string
  private readonly parts = new Map<string, StatePart<unknown>>()
  private validate: ValidateFunction | undefined

  constructor (options: StateRegistryOptions) {
    this.clock = options.clock
    this.emulatorVersion = options.emulatorVersion
  }

  /** Registers a part (registering a name again replaces it); returns its removal. */
  register<Section> (part: StatePart<Section>): () => void {
    this.parts.set(part.name, part as StatePart<unknown>)
    this.validate = undefined
    return () => {
      if (this.parts.get(part.name) !== part) return
      this.parts.delete(part.name)
      this.validate = undefined
    }
  }

  /** The document's JSON Schema, with the sections of the parts registered so far. */
  schema (): TSchema {
    const sections = Object.fromEntries([...this.parts.values()].map((part) => [part.name, Type.Optional(part.schema)]))
    return Type.Object({
      format: Type.Literal(STATE_FORMAT),
      version: Type.Literal(STATE_VERSION, { description: 'The format\'s version; a snapshot of another version is refused' }),
      writtenAt: Type.Optional(Type.String({ description: 'Wall time of the export (ISO 8601); informative' })),
      emulatorVersion: Type.Optional(Type.String({ description: 'The tripo-mock version that wrote it; informative' })),
      key: Type.Optional(Type.String({ minLength: 1, description: 'Present when the snapshot holds one API key\'s state only' })),
      clock: ClockSchema,
      ...sections
    }, { additionalProperties: false, title: 'StateSnapshot', description: 'The emulator\'s state (tripo-mock/state, version 1): a section per part, each optional (absent: nothing of it)' })
  }

  /** The whole state, or one key's, as a snapshot document. */
  export (options: { readonly key?: string | undefined, readonly writtenAt: string }): StateDocument {
    const { key, writtenAt } = options
    const document: Record<string, unknown> = {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      writtenAt,
      emulatorVersion: this.emulatorVersion,
      ...(key === undefined ? {} : { key }),
      clock: this.clock.state()
    }
    for (const part of this.parts.values()) document[part.name] = part.export(key)
    return document as unknown as StateDocument
  }

  /**
   * Replaces the whole state, or one key's (`key`), by a snapshot: all or nothing. A whole import
   * also takes the snapshot's clock mode and speed; a one-key import leaves the clock alone.
   */
  import (input: unknown, key?: string): ImportDone {
    const document = this.checked(input, key)
    const then = document.clock.now
    const context: ImportContext = { key, then, shift: this.clock.now() - then }
    const applies = [...this.parts.values()].map((part) => [part.name, part.prepare(document[part.name], context)] as const)
    if (key === undefined) {
      this.clock.setMode(document.clock.mode)
      this.clock.setSpeed(document.clock.speed)
    }
    const parts = Object.fromEntries(applies.map(([name, apply]) => [name, apply()]))
    return { scope: key === undefined ? 'all' : 'tenant', ...(key === undefined ? {} : { key: maskKey(key) }), shiftedMs: context.shift, parts }
  }

  /** The document, if its format, version, schema and scope are right; a StateError naming the field otherwise. */
  private checked (input: unknown, key: string | undefined): StateDocument {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new StateError('the snapshot must be a JSON object')
    const { format, version } = input as { format?: unknown, version?: unknown }
    if (format !== STATE_FORMAT) throw new StateError(`format: must be "${STATE_FORMAT}" (got ${JSON.stringify(format) ?? 'nothing'})`)
    if (version !== STATE_VERSION) {
      const newer = typeof version === 'number' && version > STATE_VERSION
      throw new StateError(`version: ${JSON.stringify(version) ?? 'nothing'} is ${newer ? 'newer than this tripo-mock reads' : 'not a version of the format'}; this tripo-mock reads version ${STATE_VERSION}${newer ? ' (use a newer tripo-mock)' : ''}`)
    }
    this.validate ??= ajv.compile(this.schema())
    if (!this.validate(input)) throw new StateError(describe(this.validate.errors?.[0] as ErrorObject))
    const document = input as StateDocument
    if (key === undefined && document.key !== undefined) throw new StateError(`key: the snapshot holds one key's state (${maskKey(document.key)}): import it for that key`)
    if (key !== undefined && document.key === undefined) throw new StateError('key: the snapshot holds the whole state, not one key\'s: import it without a key')
    if (key !== undefined && document.key !== key) throw new StateError(`key: the snapshot is of ${maskKey(document.key as string)}, not of ${maskKey(key)}`)
    return document
  }
}

/** An instant of a snapshot, moved by the import's shift (null in a snapshot: never). */
export function shifted (instant: number | null, context: ImportContext): number {
  return instant === null ? Infinity : instant + context.shift
}

/** An instant as a snapshot writes it: null for never (JSON has no Infinity). */
export function written (instant: number): number | null {
  return Number.isFinite(instant) ? instant : null
}

/** `a.b[2].c` from a path's parts, as refusals name fields. */
export function fieldPath (...parts: ReadonlyArray<string | number>): string {
  return parts.map((part) => typeof part === 'number' ? `[${part}]` : `.${part}`).join('').replace(/^\./, '')
}

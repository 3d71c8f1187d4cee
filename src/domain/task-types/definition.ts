/**
 * What the emulator knows about one task type: its parameters (a schema), model versions, the
 * texts and files it carries, the tasks it may reference, its price, its concurrency group, its
 * outputs and how long it takes. One definition per documented type (reference §4).
 */
import type { Static, TObject } from 'typebox'
import type { AssetName } from '../assets.ts'
import type { ErrorKey } from '../errors.ts'
import type { FileRef } from './schema-kit.ts'
import type { VersionPolicy } from './versions.ts'

export type Params = Record<string, unknown>

/**
 * Concurrency groups (queued + running tasks per key): V2's of reference §8.1, and V3's pools per
 * category (V3 reference §6). A task takes a slot in the group of the surface that created it.
 */
export const CONCURRENCY_GROUPS = {
  model_generation: { limit: 10, description: 'text/image/multiview_to_model, versions other than P1' },
  model_generation_p1: { limit: 5, description: 'text/image/multiview_to_model with P1-20260311' },
  refine: { limit: 5, description: 'refine_model' },
  animate_prerigcheck: { limit: 10, description: 'animate_prerigcheck' },
  animate_rig: { limit: 10, description: 'animate_rig' },
  animate_retarget: { limit: 10, description: 'animate_retarget' },
  multiview_generation: { limit: 1, description: 'generate_multiview_image' },
  multiview_edit: { limit: 1, description: 'edit_multiview_image' },
  other: { limit: 10, description: 'every other task type' },
  h_series: { limit: 10, description: 'V3: 3D generation with an H-series model (v2.5, v3.0, v3.1), and image-to-splat' },
  p_series: { limit: 5, description: 'V3: 3D generation with a P-series model (P1, P2)' },
  image_generation: { limit: 1, description: 'V3: text-to-image, image-to-image, image-to-multiview, edit-multiview' },
  animation: { limit: 10, description: 'V3: rig-check, rig, retarget' },
  model_processing: { limit: 5, description: 'V3: texture, refine, stylize, convert, import' },
  mesh: { limit: 10, description: 'V3: segment, smartsegment, complete, decimate' }
} as const

export type ConcurrencyGroup = keyof typeof CONCURRENCY_GROUPS

/** A task a request refers to, and the rules that task must satisfy (reference §3.2). */
export interface SourceReference {
  readonly field: string
  readonly taskId: string
  /** Types the source may have; `model` means any task whose output holds a model. */
  readonly allowedTypes: readonly string[] | 'model'
  /** The error when the source's type is not allowed (2006 by default; 2011, 2012 for animation). */
  readonly wrongType?: ErrorKey
  /** The error when the source did not succeed (2007 by default; 2005 for refine's draft). */
  readonly notSuccess?: ErrorKey
  /** A further rule on an allowed source; a returned reason answers 2006. */
  readonly refuse?: (source: SourceFacts) => string | undefined
}

/** A file a request carries, and what kind of file it must be. */
export interface FileSlot {
  readonly field: string
  readonly ref: FileRef
  readonly accepts: 'image' | 'model'
  /** Only the STS object form is accepted (import_model on V2). */
  readonly objectOnly?: boolean
}

/** One value of a task's `output`, resolved to wire form when the task is read. */
export type OutputValue =
  | { readonly asset: AssetName }
  | { readonly object: { readonly bucket: string, readonly key: string }, readonly ext: string }
  | { readonly views: Readonly<Record<string, AssetName>> }
  | { readonly value: string | number | boolean }

export type OutputTemplate = Readonly<Record<string, OutputValue>>

/** The slice of a referenced task that outputs may depend on (e.g. an FBX import stays FBX). */
export interface SourceFacts {
  readonly type: string
  readonly input: Params
  readonly output: OutputTemplate
}

export interface OutputContext {
  readonly source?: SourceFacts
  /** Files resolved from the request (import_model serves its object back). */
  readonly files: ReadonlyMap<string, { readonly object?: { bucket: string, key: string }, readonly ext?: string }>
}

export interface Durations {
  readonly queuedMs: number
  readonly runningMs: number
}

export interface TaskTypeDefinition<P extends Params = Params> {
  readonly type: string
  readonly summary: string
  /**
   * The parameters: V2's request body for this type, `type` included (validation, types and
   * OpenAPI come from it); for a type only V3 creates, its parameters in V3's names.
   */
  readonly schema: TObject
  /** Created only through V3 (V2's `POST /task` refuses it as an unsupported type). */
  readonly v3Only?: true
  readonly versions?: VersionPolicy
  readonly durations: Durations
  /** Types whose output holds a model, so they can feed post-processing. */
  readonly hasModelOutput: boolean
  /** Prompt texts, checked for refused characters (2009) and the content policy (2008). */
  prompts? (params: P): readonly string[]
  /** The legacy top-level `prompt` of the task object. */
  topLevelPrompt? (params: P): string | undefined
  files? (params: P): readonly FileSlot[]
  sources? (params: P): readonly SourceReference[]
  /**
   * Cross-field rules and version-dependent defaults, after schema validation. Mutates `params`
   * (the echo of the input) and throws ApiError on a rule the real API enforces.
   */
  normalize? (params: P): void
  cost (params: P): number
  group (params: P): ConcurrencyGroup
  outputs (params: P, context: OutputContext): OutputTemplate
}

/** Types a definition against its own schema; the registry then holds it as a plain definition. */
export function defineTaskType<S extends TObject> (definition: Omit<TaskTypeDefinition<Static<S> & Params>, 'schema'> & { readonly schema: S }): TaskTypeDefinition {
  return definition as unknown as TaskTypeDefinition
}

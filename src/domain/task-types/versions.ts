/**
 * Model versions (reference §3.4 and the per-type pages).
 *
 * A version a task type lists is accepted; one it lists as deprecated answers 2015; anything else
 * answers 2017. Versions configured as retired (the sources disagree on which old versions still
 * work) answer 2015 as well.
 */

export const GENERATION_VERSIONS = {
  P1: 'P1-20260311',
  /** V3 only, a preview (the JS SDK's constants): the P line with quad meshes. */
  P2: 'P2-20260801',
  V3_1: 'v3.1-20260211',
  V3_0: 'v3.0-20250812',
  V2_5: 'v2.5-20250123',
  V2_0: 'v2.0-20240919',
  TURBO: 'Turbo-v1.0-20250506',
  V1_4: 'v1.4-20240625',
  V1_3: 'v1.3-20240522'
} as const

export const DEFAULT_GENERATION_VERSION = GENERATION_VERSIONS.V2_5

export type GenerationLine = 'P1' | 'P2' | 'H3' | 'H2' | 'Turbo' | 'legacy'

/** The product line of a generation version, which decides the parameter surface and the price. */
export function generationLine (version: string): GenerationLine {
  switch (version) {
    case GENERATION_VERSIONS.P1: return 'P1'
    case GENERATION_VERSIONS.P2: return 'P2'
    case GENERATION_VERSIONS.V3_1:
    case GENERATION_VERSIONS.V3_0: return 'H3'
    case GENERATION_VERSIONS.V2_5:
    case GENERATION_VERSIONS.V2_0: return 'H2'
    case GENERATION_VERSIONS.TURBO: return 'Turbo'
    default: return 'legacy'
  }
}

/** Post-processing refuses 1.x sources: the source must be Turbo or v2.0 and later. */
export function isModernGenerationVersion (version: string | undefined): boolean {
  return version !== undefined && generationLine(version) !== 'legacy'
}

export interface VersionPolicy {
  readonly default?: string
  readonly accepted: readonly string[]
  readonly deprecated: readonly string[]
  /** When true any value is accepted and echoed (text_to_image, import_model: V2 ignores it). */
  readonly free?: boolean
}

export type VersionVerdict = 'ok' | 'deprecated' | 'invalid'

export function judgeVersion (policy: VersionPolicy, version: string, retired: ReadonlySet<string>): VersionVerdict {
  if (policy.free === true) return 'ok'
  if (policy.deprecated.includes(version)) return 'deprecated'
  if (policy.accepted.includes(version)) return retired.has(version) ? 'deprecated' : 'ok'
  return 'invalid'
}

const GENERATION_TYPES = new Set(['text_to_model', 'image_to_model', 'multiview_to_model'])

/**
 * "1.x versions of text_to_model, image_to_model and multiview_to_model tasks are not supported"
 * as sources of post-processing (reference §3.2): a rule for `SourceReference.refuse`.
 */
export function refuseLegacySource (source: { type: string, input: Record<string, unknown> }): string | undefined {
  if (!GENERATION_TYPES.has(source.type)) return undefined
  return isModernGenerationVersion(String(source.input['model_version'])) ? undefined : 'sources made by a 1.x model version are not supported'
}

/** refine_model is the reverse: only drafts made by a 1.x version can be refined. */
export function refuseModernDraft (source: { type: string, input: Record<string, unknown> }): string | undefined {
  return isModernGenerationVersion(String(source.input['model_version'])) ? 'models of model_version>=v2.0-20240919 for refine is not supported' : undefined
}

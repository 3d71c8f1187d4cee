/**
 * text_to_model, image_to_model, multiview_to_model (reference §4.1) and refine_model (§4.2).
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import { defineTaskType, type FileSlot, type OutputTemplate, type Params } from './definition.ts'
import { commonParameters, FileRefSchema, type FileRef, Prompt, Seed, StringEnum } from './schema-kit.ts'
import { DEFAULT_GENERATION_VERSION, GENERATION_VERSIONS as V, generationLine, refuseModernDraft, type VersionPolicy } from './versions.ts'

const TEXTURE_QUALITY = ['standard', 'detailed', 'extreme'] as const
const LEGACY_STYLES = ['person:person2cartoon', 'animal:venom', 'object:clay', 'object:steampunk', 'object:christmas', 'object:barbie', 'gold', 'ancient_bronze'] as const

const textImageVersions: VersionPolicy = {
  default: DEFAULT_GENERATION_VERSION,
  accepted: [V.P1, V.V3_1, V.V3_0, V.V2_5, V.V2_0, V.TURBO, V.V1_4],
  deprecated: [V.V1_3]
}

const multiviewVersions: VersionPolicy = {
  default: DEFAULT_GENERATION_VERSION,
  accepted: [V.P1, V.V3_1, V.V3_0, V.V2_5, V.V2_0],
  deprecated: [V.V1_4, V.V1_3]
}

/**
 * Parameters shared by the three generation types. The H2/H3-only switches (quad, smart_low_poly,
 * generate_parts, geometry_quality) carry no schema default: P1 refuses them when merely present,
 * so their defaults are applied per version in `normalizeGeneration`.
 */
const generationParameters = (versions: VersionPolicy) => ({
  model_version: Type.Optional(StringEnum(versions.accepted, { default: DEFAULT_GENERATION_VERSION, description: 'Model version' })),
  model_seed: Type.Optional(Seed('Geometry seed; random when omitted')),
  texture_seed: Type.Optional(Seed('Texture seed; random when omitted')),
  texture: Type.Optional(Type.Boolean({ default: true, description: 'Generate a texture (false costs 10 credits less)' })),
  pbr: Type.Optional(Type.Boolean({ default: true, description: 'Generate PBR maps; true forces texture' })),
  texture_quality: Type.Optional(StringEnum(TEXTURE_QUALITY, { default: 'standard', description: 'standard, detailed (+10) or extreme (+20)' })),
  geometry_quality: Type.Optional(StringEnum(['standard', 'detailed'] as const, { description: 'H3 (v3.x) only; detailed costs +20. Default standard on H3' })),
  face_limit: Type.Optional(Type.Integer({ description: 'Target faces; out-of-range values are clamped (P1: 48-20000, refused outside)' })),
  auto_size: Type.Optional(Type.Boolean({ default: false, description: 'Scale to real-world metres' })),
  quad: Type.Optional(Type.Boolean({ description: 'Quad mesh, delivered as FBX (+5). H2/H3/Turbo; default false' })),
  smart_low_poly: Type.Optional(Type.Boolean({ description: 'Smart low poly (+10). H2/H3; default false' })),
  generate_parts: Type.Optional(Type.Boolean({ description: 'Segmented parts, untextured (+20). H2/H3/Turbo; default false' })),
  compress: Type.Optional(StringEnum(['', 'geometry'] as const, { description: 'geometry: meshopt compression' })),
  export_uv: Type.Optional(Type.Boolean({ default: true, description: 'Export UVs' })),
  ...commonParameters
})

const imageParameters = {
  texture_alignment: Type.Optional(StringEnum(['original_image', 'geometry'] as const, { default: 'original_image' })),
  orientation: Type.Optional(StringEnum(['default', 'align_image'] as const, { default: 'default' })),
  enable_image_autofix: Type.Optional(Type.Boolean({ default: false, description: 'Fix the input image first (slower)' }))
}

/** The P line refuses the H-line switches when merely present (P2 takes quad). */
const P_LINE_REFUSED: Readonly<Record<'P1' | 'P2', readonly string[]>> = {
  P1: ['quad', 'smart_low_poly', 'generate_parts', 'geometry_quality'],
  P2: ['smart_low_poly', 'generate_parts', 'geometry_quality']
}

/** Version rules and defaults of reference §4.1, shared by the three generation types. */
export function normalizeGeneration (params: Params): void {
  const version = String(params['model_version'])
  const line = generationLine(version)
  if (line === 'P1' || line === 'P2') {
    const refused = P_LINE_REFUSED[line].find((field) => params[field] !== undefined)
    if (refused !== undefined) throw new ApiError('INVALID_PARAMETER', { detail: `${refused} is not accepted by ${version}` })
    const faceLimit = params['face_limit']
    if (typeof faceLimit === 'number' && (faceLimit < 48 || faceLimit > 20000)) {
      throw new ApiError('INVALID_PARAMETER', { detail: `face_limit must be 48-20000 with ${version}` })
    }
    if (params['quad'] === true) params['face_limit'] ??= 10000
    return
  }
  params['quad'] ??= false
  params['smart_low_poly'] ??= false
  params['generate_parts'] ??= false
  if (line === 'H3') params['geometry_quality'] ??= 'standard'
  if (params['quad'] === true) params['face_limit'] ??= 10000
}

/** Whether the model is textured: pbr forces a texture; generate_parts delivers untextured parts. */
export function isTextured (params: Params): boolean {
  if (params['generate_parts'] === true) return false
  return params['texture'] !== false || params['pbr'] !== false
}

const TEXTURE_QUALITY_EXTRA: Record<string, number> = { standard: 0, detailed: 10, extreme: 20 }

/**
 * Price of reference §8.3: a base per line and input kind (the P line dearer), texture, texture
 * quality, and the H2/H3 extras (smart low poly +10, quad +5, parts +20, detailed geometry +20).
 */
export function generationCost (params: Params, base: { untextured: number, p1Untextured: number }): number {
  const line = generationLine(String(params['model_version']))
  const textured = isTextured(params)
  let cost = line === 'P1' || line === 'P2' ? base.p1Untextured : base.untextured
  if (textured) cost += 10 + (TEXTURE_QUALITY_EXTRA[String(params['texture_quality'])] ?? 0)
  // P2 quads are priced as the H lines' (no source prices them).
  if (params['quad'] === true && (line === 'H2' || line === 'H3' || line === 'P2')) cost += 5
  if (line === 'H2' || line === 'H3') {
    if (params['smart_low_poly'] === true) cost += 10
    if (params['generate_parts'] === true) cost += 20
    if (params['geometry_quality'] === 'detailed') cost += 20
  }
  return cost
}

/** The few shapes a generation's output can take, each built once: every task of a shape shares it. */
const generationShapes = new Map<string, OutputTemplate>()

/**
 * Which model keys appear is undocumented (reference §11.1). The emulator's choice: the untextured
 * `base_model` always; the textured model as `pbr_model` (pbr) or `model` (texture only); quad
 * meshes as FBX; plus the rendered preview.
 */
export function generationOutputs (params: Params, withGeneratedImage: boolean): OutputTemplate {
  const quad = params['quad'] === true
  const texturedKey = !isTextured(params) ? undefined : params['pbr'] !== false ? 'pbr_model' : 'model'
  const shape = `${texturedKey ?? ''}/${String(quad)}/${String(withGeneratedImage)}`
  let output = generationShapes.get(shape)
  if (output === undefined) {
    const built: Record<string, OutputTemplate[string]> = {}
    if (texturedKey !== undefined) built[texturedKey] = { asset: quad ? 'quad.fbx' : 'textured.glb' }
    built['base_model'] = { asset: quad ? 'quad.fbx' : 'base.glb' }
    built['rendered_image'] = { asset: 'preview.webp' }
    if (withGeneratedImage) built['generated_image'] = { asset: 'generated.webp' }
    output = Object.freeze(built)
    generationShapes.set(shape, output)
  }
  return output
}

export const GENERATION_DURATIONS = { queuedMs: 2000, runningMs: 10000 }

const generationGroup = (params: Params) => generationLine(String(params['model_version'])) === 'P1'
  ? 'model_generation_p1' as const
  : 'model_generation' as const

export const textToModel = defineTaskType({
  type: 'text_to_model',
  summary: 'Generate a 3D model from a text prompt',
  schema: Type.Object({
    type: Type.Literal('text_to_model'),
    prompt: Prompt(1024, 'What to generate; up to 1024 characters, no emoji'),
    negative_prompt: Type.Optional(Type.String({ maxLength: 255, description: 'What to avoid; up to 255 characters' })),
    image_seed: Type.Optional(Seed('Seed of the intermediate image; random when omitted')),
    style: Type.Optional(StringEnum(LEGACY_STYLES, { description: 'Legacy style' })),
    ...generationParameters(textImageVersions)
  }),
  versions: textImageVersions,
  durations: GENERATION_DURATIONS,
  hasModelOutput: true,
  prompts: (params) => [params.prompt, params.negative_prompt ?? ''],
  topLevelPrompt: (params) => params.prompt,
  normalize: normalizeGeneration,
  cost: (params) => generationCost(params, { untextured: 10, p1Untextured: 30 }),
  group: generationGroup,
  outputs: (params) => generationOutputs(params, true)
})

export const imageToModel = defineTaskType({
  type: 'image_to_model',
  summary: 'Generate a 3D model from one image',
  schema: Type.Object({
    type: Type.Literal('image_to_model'),
    file: FileRefSchema,
    style: Type.Optional(StringEnum(LEGACY_STYLES, { description: 'Legacy style' })),
    ...imageParameters,
    ...generationParameters(textImageVersions)
  }),
  versions: textImageVersions,
  durations: GENERATION_DURATIONS,
  hasModelOutput: true,
  files: (params) => [{ field: 'file', ref: params.file, accepts: 'image' }],
  normalize: normalizeGeneration,
  cost: (params) => generationCost(params, { untextured: 20, p1Untextured: 40 }),
  group: generationGroup,
  outputs: (params) => generationOutputs(params, false)
})

export const multiviewToModel = defineTaskType({
  type: 'multiview_to_model',
  summary: 'Generate a 3D model from four views (front, left, back, right) or a multiview image task',
  schema: Type.Object({
    type: Type.Literal('multiview_to_model'),
    files: Type.Optional(Type.Array(FileRefSchema, { minItems: 4, maxItems: 4, description: 'Exactly 4 files [front, left, back, right]; {} marks an empty slot; front and at least 2 views required' })),
    original_task_id: Type.Optional(Type.String({ minLength: 1, description: 'A generate_multiview_image or edit_multiview_image task; exclusive with files' })),
    orthographic_projection: Type.Optional(Type.Boolean({ description: 'Legacy (v1.4)' })),
    ...imageParameters,
    ...generationParameters(multiviewVersions)
  }),
  versions: multiviewVersions,
  durations: GENERATION_DURATIONS,
  hasModelOutput: true,
  files: (params) => (params.files ?? [])
    .map((ref, index): FileSlot => ({ field: `files[${index}]`, ref, accepts: 'image' }))
    .filter((slot) => !isEmptySlot(slot.ref)),
  sources: (params) => params.original_task_id === undefined
    ? []
    : [{ field: 'original_task_id', taskId: params.original_task_id, allowedTypes: ['generate_multiview_image', 'edit_multiview_image'] }],
  normalize: (params) => {
    const files = params.files
    if (files !== undefined && params.original_task_id !== undefined) {
      throw new ApiError('INVALID_PARAMETER', { detail: 'files and original_task_id are mutually exclusive' })
    }
    if (files === undefined && params.original_task_id === undefined) {
      throw new ApiError('INVALID_PARAMETER', { detail: 'files or original_task_id is required' })
    }
    if (files !== undefined) {
      if (isEmptySlot(files[0])) throw new ApiError('INVALID_PARAMETER', { detail: 'files[0] (front view) is required' })
      if (files.filter((ref) => !isEmptySlot(ref)).length < 2) {
        throw new ApiError('INVALID_PARAMETER', { detail: 'files needs at least 2 views' })
      }
    }
    normalizeGeneration(params)
  },
  cost: (params) => generationCost(params, { untextured: 20, p1Untextured: 40 }),
  group: generationGroup,
  outputs: (params) => generationOutputs(params, false)
})

export const refineModel = defineTaskType({
  type: 'refine_model',
  summary: 'Refine a draft model made by a 1.x model version',
  schema: Type.Object({
    type: Type.Literal('refine_model'),
    draft_model_task_id: Type.String({ minLength: 1, description: 'A successful text/image/multiview_to_model task made by a 1.x version' }),
    ...commonParameters
  }),
  durations: { queuedMs: 2000, runningMs: 15000 },
  hasModelOutput: true,
  sources: (params) => [{
    field: 'draft_model_task_id',
    taskId: params.draft_model_task_id,
    allowedTypes: ['text_to_model', 'image_to_model', 'multiview_to_model'],
    notSuccess: 'DRAFT_NOT_SUCCESS',
    refuse: refuseModernDraft
  }],
  // Not priced by any source (reference §8.3); the emulator charges what a textured draft costs.
  cost: () => 20,
  group: () => 'refine',
  outputs: () => ({ model: { asset: 'textured.glb' } })
})

export function isEmptySlot (ref: FileRef | undefined): boolean {
  return ref === undefined || (ref.file_token === undefined && ref.url === undefined && ref.object === undefined && ref.data === undefined && ref.task_id === undefined)
}

/**
 * V3's model endpoints (V3 reference §3.3): import, refine, texture, stylize and convert. The model
 * they work on comes as `input` (a task id, or a file_token or URL of a model file) or as V2's
 * `original_model_task_id` / `draft_model_task_id`.
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import type { ResolvedFile } from '../emulator.ts'
import type { Params } from '../task-types/definition.ts'
import { refineModel as v2Refine } from '../task-types/model-generation.ts'
import { convertModel as v2Convert, importModel as v2Import, stylizeModel as v2Stylize, textureModel as v2Texture } from '../task-types/post-processing.ts'
import { commonParameters, type FileRef, Seed, StringEnum } from '../task-types/schema-kit.ts'
import { refuseModernDraft, type VersionPolicy } from '../task-types/versions.ts'
import { type Capability, imageRef, Input, modelFields, modelSource, readInput, requiredInput, sourceTask, withModelInput, withVersion } from './capability.ts'

const SOURCE_FIELDS = ['input', 'original_model_task_id'] as const
const OriginalModelTaskId = Type.Optional(Type.String({ minLength: 1, description: 'V2\'s name for a source task, still accepted' }))
const PartNames = Type.Optional(Type.Array(Type.String(), { description: 'Part names from a segmentation; all parts when omitted' }))

/** The body as parameters: the model source, `model` as `model_version`, V3's own names dropped. */
const modelParams = (body: Params, versions?: VersionPolicy) => ({ ...withVersion(body, versions, [...SOURCE_FIELDS]), ...modelSource(body) })

export const importModel: Capability = {
  name: 'importModel',
  path: '/models/import',
  group: 'models',
  summary: 'Import a model file (GLB, glTF, FBX, OBJ or STL) to post-process it',
  schema: Type.Object({
    input: Type.Optional(Input('The model file: a file_token from /v3/files (or a presigned upload), or a URL')),
    file: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'V2-style {type, file_token | url}' })),
    ...commonParameters
  }),
  definition: {
    ...v2Import,
    // V3 takes a file_token or a URL, not V2's STS object (X-skill §3.4).
    files: (params) => [{ field: 'input', ref: params['file'] as FileRef, accepts: 'model' }],
    group: () => 'model_processing',
    // An uploaded file is served back; a URL is not fetched, so its import serves the sample model.
    outputs: (_params, context) => {
      const { object, ext } = context.files.get('input') as ResolvedFile
      return object === undefined ? { model: { asset: 'base.glb' } } : { model: { object, ext: ext as string } }
    }
  },
  toParams: (body) => {
    const source = requiredInput(body, ['input', 'file'])
    if (!('file' in source) || source.file.object !== undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'input: expected a file_token or a URL of a model file' })
    const { input: _input, ...rest } = body
    return { ...rest, file: source.file }
  }
}

export const refineModel: Capability = {
  name: 'refineModel',
  path: '/models/refine',
  group: 'models',
  summary: 'Refine a draft model (a text-to-model task of a 1.x version)',
  schema: Type.Object({
    input: Type.Optional(Input('The draft task id')),
    draft_model_task_id: OriginalModelTaskId,
    ...modelFields('Ignored: refine picks its own model'),
    ...commonParameters
  }),
  definition: {
    ...v2Refine,
    // V3 refines text_to_model drafts only (X-skill A.5).
    sources: (params) => [{
      field: 'input',
      taskId: String(params['draft_model_task_id']),
      allowedTypes: ['text_to_model'],
      notSuccess: 'DRAFT_NOT_SUCCESS',
      refuse: refuseModernDraft
    }],
    group: () => 'model_processing'
  },
  toParams: (body) => {
    const { input: _input, model: _model, model_version: _version, ...rest } = body
    return { ...rest, draft_model_task_id: sourceTask(body, ['input', 'draft_model_task_id']) }
  }
}

/** V3's texture model defaults to v3.0 (X-skill §3.2; V2's default was v2.5). */
const TEXTURE_VERSIONS: VersionPolicy = { default: 'v3.0-20250812', accepted: ['v3.0-20250812', 'v2.5-20250123'], deprecated: ['v2.0-20240919'] }

/**
 * `texture_prompt` ({text | image | images | style_image}), or the JS SDK's top-level
 * `text_prompt`, `image_prompt` and `style_image`, with every image read as a V3 input.
 */
function texturePrompt (body: Params): Params | undefined {
  const given = (body['texture_prompt'] ?? {}) as Params
  const prompt: Params = { ...given }
  if (body['text_prompt'] !== undefined) prompt['text'] = body['text_prompt']
  if (body['image_prompt'] !== undefined) prompt['image'] = body['image_prompt']
  if (body['style_image'] !== undefined) prompt['style_image'] = body['style_image']
  for (const field of ['image', 'style_image']) {
    if (prompt[field] !== undefined) prompt[field] = imageRef(readInput(prompt[field], `texture_prompt.${field}`))
  }
  const images = prompt['images']
  if (Array.isArray(images)) {
    prompt['images'] = images.map((item, index) => item === '' || item === null || (typeof item === 'object' && Object.keys(item as object).length === 0) ? {} : imageRef(readInput(item, `texture_prompt.images[${index}]`)))
  }
  return Object.keys(prompt).length === 0 ? undefined : prompt
}

export const textureModel: Capability = {
  name: 'textureModel',
  path: '/models/texture',
  group: 'models',
  summary: 'Texture (or re-texture) a model',
  schema: Type.Object({
    input: Type.Optional(Input('The model: a task id, or a file_token or URL of a model file')),
    original_model_task_id: OriginalModelTaskId,
    ...modelFields('v3.0-20250812 (default) or v2.5-20250123'),
    texture_prompt: Type.Optional(Type.Object({
      text: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
      image: Type.Optional(Input('A reference image')),
      images: Type.Optional(Type.Array(Type.Unsafe({ type: ['string', 'object'] }), { minItems: 4, maxItems: 4, description: '[front, left, back, right]' })),
      style_image: Type.Optional(Input('A style image (with text)'))
    }, { description: 'One of text, image or images; style_image only with text' })),
    text_prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The JS SDK\'s form of texture_prompt.text' })),
    image_prompt: Type.Optional(Input('The JS SDK\'s form of texture_prompt.image')),
    style_image: Type.Optional(Input('The JS SDK\'s form of texture_prompt.style_image')),
    texture: Type.Optional(Type.Boolean({ default: true })),
    pbr: Type.Optional(Type.Boolean({ default: true })),
    texture_seed: Type.Optional(Seed('Texture seed')),
    model_seed: Type.Optional(Seed('Model seed')),
    texture_quality: Type.Optional(StringEnum(['standard', 'detailed', 'extreme'] as const, { default: 'standard' })),
    texture_alignment: Type.Optional(StringEnum(['original_image', 'geometry'] as const, { default: 'original_image' })),
    part_names: PartNames,
    compress: Type.Optional(StringEnum(['', 'geometry'] as const)),
    bake: Type.Optional(Type.Boolean({ default: true })),
    return_multiview: Type.Optional(Type.Boolean()),
    ...commonParameters
  }),
  definition: { ...withModelInput(v2Texture), versions: TEXTURE_VERSIONS, group: () => 'model_processing' },
  toParams: (body) => {
    const { text_prompt: _text, image_prompt: _image, style_image: _style, texture_prompt: _prompt, ...rest } = modelParams(body, TEXTURE_VERSIONS)
    const prompt = texturePrompt(body)
    return prompt === undefined ? rest : { ...rest, texture_prompt: prompt }
  }
}

export const stylizeModel: Capability = {
  name: 'stylizeModel',
  path: '/models/stylize',
  group: 'models',
  summary: 'Restyle a model as lego, voxel, voronoi, minecraft, keyring, fridge magnet or keycap',
  schema: Type.Object({
    input: Type.Optional(Input('The model: a task id or a file_token')),
    original_model_task_id: OriginalModelTaskId,
    style: StringEnum(['lego', 'voxel', 'voronoi', 'minecraft', 'keyring', 'fridge_magnet', 'keycap'] as const, { description: 'minecraft outputs a .schem file' }),
    block_size: Type.Optional(Type.Integer({ minimum: 32, maximum: 128, default: 80, description: 'Minecraft only' })),
    vxc: Type.Optional(Type.Boolean({ description: 'Entitlement-gated upstream; echoed' })),
    render_image: Type.Optional(Type.Boolean()),
    ...commonParameters
  }),
  definition: { ...withModelInput(v2Stylize), group: () => 'model_processing' },
  toParams: (body) => modelParams(body)
}

export const convertModel: Capability = {
  name: 'convertModel',
  path: '/models/convert',
  group: 'models',
  summary: 'Convert a model to GLB, GLTF, USDZ, FBX, OBJ (zip), STL or 3MF',
  schema: Type.Object({
    input: Type.Optional(Input('The model: a task id or a file_token')),
    original_model_task_id: OriginalModelTaskId,
    format: Type.String({ pattern: '^(?:[gG][lL][bB]|[gG][lL][tT][fF]|[uU][sS][dD][zZ]|[fF][bB][xX]|[oO][bB][jJ]|[sS][tT][lL]|3[mM][fF])$', description: 'GLB, GLTF, USDZ, FBX, OBJ, STL or 3MF (case-insensitive)' }),
    quad: Type.Optional(Type.Boolean({ default: false })),
    force_symmetry: Type.Optional(Type.Boolean({ default: false })),
    face_limit: Type.Optional(Type.Integer()),
    flatten_bottom: Type.Optional(Type.Boolean({ default: false })),
    flatten_bottom_threshold: Type.Optional(Type.Number()),
    texture_size: Type.Optional(Type.Integer()),
    texture_format: Type.Optional(StringEnum(['BMP', 'DPX', 'HDR', 'JPEG', 'OPEN_EXR', 'PNG', 'TARGA', 'TIFF', 'WEBP'] as const)),
    bake: Type.Optional(Type.Boolean({ default: true })),
    pack_uv: Type.Optional(Type.Boolean({ default: false })),
    export_vertex_colors: Type.Optional(Type.Boolean({ default: false })),
    pivot_to_center_bottom: Type.Optional(Type.Boolean({ default: false })),
    scale_factor: Type.Optional(Type.Number()),
    with_animation: Type.Optional(Type.Boolean({ default: true })),
    animate_in_place: Type.Optional(Type.Boolean({ default: false })),
    assemble_animation: Type.Optional(Type.Boolean()),
    part_names: PartNames,
    export_orientation: Type.Optional(StringEnum(['+x', '-x', '+y', '-y'] as const, { default: '+x' })),
    fbx_preset: Type.Optional(StringEnum(['blender', 'mixamo', '3dsmax'] as const, { default: 'blender' })),
    ...commonParameters
  }),
  definition: { ...withModelInput(v2Convert), group: () => 'model_processing' },
  toParams: (body) => modelParams(body)
}

/**
 * Image tasks (reference §4.11): text_to_image, generate_image, generate_multiview_image,
 * edit_multiview_image.
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import { defineTaskType, type FileSlot, type OutputTemplate } from './definition.ts'
import { commonParameters, FileRefSchema, type FileRef, Prompt, StringEnum } from './schema-kit.ts'

const IMAGE_PROMPT_MAX = 1024

export const textToImage = defineTaskType({
  type: 'text_to_image',
  summary: 'Generate an image from a text prompt',
  schema: Type.Object({
    type: Type.Literal('text_to_image'),
    prompt: Prompt(IMAGE_PROMPT_MAX, 'What to draw; up to 1024 characters'),
    negative_prompt: Type.Optional(Type.String({ maxLength: 255 })),
    style_image: Type.Optional(FileRefSchema),
    model_version: Type.Optional(Type.String({ description: 'Tolerated and echoed; V2 ignores it here' })),
    ...commonParameters
  }),
  versions: { accepted: [], deprecated: [], free: true },
  durations: { queuedMs: 1000, runningMs: 5000 },
  hasModelOutput: false,
  prompts: (params) => [params.prompt, params.negative_prompt ?? ''],
  topLevelPrompt: (params) => params.prompt,
  files: (params) => params.style_image === undefined ? [] : [{ field: 'style_image', ref: params.style_image, accepts: 'image' }],
  cost: () => 5,
  group: () => 'other',
  outputs: () => ({ generated_image: { asset: 'generated.png' } })
})

/** generate_image models (intl and CN), their price and how many input images they take. */
export const IMAGE_MODELS = {
  'flux.1_kontext_pro': { credits: 5, maxImages: 4 },
  'flux.1_dev': { credits: 5, maxImages: 0 },
  gpt_4o: { credits: 5, maxImages: 10 },
  'gpt_image_1.5': { credits: 10, maxImages: 10 },
  gpt_image_2: { credits: 10, maxImages: 10 },
  midjourney: { credits: 10, maxImages: 0 },
  'gemini_2.5_flash_image_preview': { credits: 5, maxImages: 10 },
  gemini_3_pro_image_preview: { credits: 10, maxImages: 10 },
  'gemini_3.1_flash_image_preview': { credits: 10, maxImages: 10 },
  z_image: { credits: 5, maxImages: 0 },
  seedream_v4: { credits: 5, maxImages: 4 },
  seedream_v5: { credits: 5, maxImages: 4 }
} as const

type ImageModel = keyof typeof IMAGE_MODELS
const IMAGE_MODEL_NAMES = Object.keys(IMAGE_MODELS) as ImageModel[]
const DEFAULT_IMAGE_MODEL: ImageModel = 'flux.1_kontext_pro'

/** Both spellings are accepted: the PY docstring's and MIG's (reference §4.11). */
const TEMPLATES = ['t-pose', '3d-enhance', 't_pose', 'character_completion', '3d_enhance', 'variants', 'figure'] as const

export const generateImage = defineTaskType({
  type: 'generate_image',
  summary: 'Generate or edit an image with a chosen image model',
  schema: Type.Object({
    type: Type.Literal('generate_image'),
    prompt: Type.Optional(Prompt(IMAGE_PROMPT_MAX, 'Required unless template and an image are given; may reference image[1], image[2]...')),
    model_version: Type.Optional(StringEnum(IMAGE_MODEL_NAMES, { default: DEFAULT_IMAGE_MODEL })),
    file: Type.Optional(FileRefSchema),
    files: Type.Optional(Type.Array(FileRefSchema, { minItems: 1, maxItems: 10 })),
    template: Type.Optional(StringEnum(TEMPLATES)),
    t_pose: Type.Optional(Type.Boolean({ default: false })),
    sketch_to_render: Type.Optional(Type.Boolean({ default: false })),
    ...commonParameters
  }),
  versions: { default: DEFAULT_IMAGE_MODEL, accepted: IMAGE_MODEL_NAMES, deprecated: [] },
  durations: { queuedMs: 1000, runningMs: 6000 },
  hasModelOutput: false,
  prompts: (params) => params.prompt === undefined ? [] : [params.prompt],
  topLevelPrompt: (params) => params.prompt,
  files: (params) => [
    ...(params.file === undefined ? [] : [{ field: 'file', ref: params.file, accepts: 'image' as const }]),
    ...(params.files ?? []).map((ref: FileRef, index: number): FileSlot => ({ field: `files[${index}]`, ref, accepts: 'image' }))
  ],
  normalize: (params) => {
    const images = (params.file === undefined ? 0 : 1) + (params.files?.length ?? 0)
    if (params.prompt === undefined && (params.template === undefined || images === 0)) {
      throw new ApiError('INVALID_PARAMETER', { detail: 'prompt is required unless template and an image are given' })
    }
    // flux.1_dev takes no image: the real API upgrades such a request to the default model.
    if (params.model_version === 'flux.1_dev' && images > 0) params.model_version = DEFAULT_IMAGE_MODEL
    const model = IMAGE_MODELS[params.model_version as ImageModel]
    if (images > model.maxImages) {
      throw new ApiError('INVALID_PARAMETER', { detail: `${String(params.model_version)} takes at most ${model.maxImages} input images` })
    }
  },
  cost: (params) => IMAGE_MODELS[params.model_version as ImageModel].credits,
  group: () => 'other',
  outputs: () => ({ generated_image: { asset: 'generated.png' } })
})

const MULTIVIEW_OUTPUT: OutputTemplate = {
  generate_multiview_image: {
    views: {
      front_view_url: 'view-front.png',
      left_view_url: 'view-left.png',
      back_view_url: 'view-back.png',
      right_view_url: 'view-right.png'
    }
  }
}

export const generateMultiviewImage = defineTaskType({
  type: 'generate_multiview_image',
  summary: 'Generate front, left, back and right views from one image',
  schema: Type.Object({
    type: Type.Literal('generate_multiview_image'),
    file: FileRefSchema,
    ...commonParameters
  }),
  durations: { queuedMs: 1000, runningMs: 8000 },
  hasModelOutput: false,
  files: (params) => [{ field: 'file', ref: params.file, accepts: 'image' }],
  cost: () => 10,
  group: () => 'multiview_generation',
  outputs: () => MULTIVIEW_OUTPUT
})

const VIEWS = ['front', 'left', 'back', 'right'] as const

export const editMultiviewImage = defineTaskType({
  type: 'edit_multiview_image',
  summary: 'Edit some views of a multiview image task with prompts',
  schema: Type.Object({
    type: Type.Literal('edit_multiview_image'),
    original_task_id: Type.String({ minLength: 1, description: 'A successful generate_multiview_image (or edit_multiview_image) task' }),
    prompts: Type.Array(Type.Object({
      view: StringEnum(VIEWS),
      prompt: Prompt(IMAGE_PROMPT_MAX, 'The edit for this view')
    }), { minItems: 1, maxItems: 4, description: 'One edit per view; views unique' }),
    ...commonParameters
  }),
  durations: { queuedMs: 1000, runningMs: 6000 },
  hasModelOutput: false,
  prompts: (params) => params.prompts.map((edit: { prompt: string }) => edit.prompt),
  sources: (params) => [{ field: 'original_task_id', taskId: params.original_task_id, allowedTypes: ['generate_multiview_image', 'edit_multiview_image'] }],
  normalize: (params) => {
    const views = params.prompts.map((edit: { view: string }) => edit.view)
    if (new Set(views).size !== views.length) throw new ApiError('INVALID_PARAMETER', { detail: 'prompts must name each view once' })
  },
  cost: (params) => 5 * params.prompts.length,
  group: () => 'multiview_edit',
  outputs: () => MULTIVIEW_OUTPUT
})

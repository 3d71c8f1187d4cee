/**
 * V3's image endpoints (V3 reference §3.2): text-to-image, image-to-image, image-to-multiview and
 * edit-multiview. V3 takes only its own image model names (X-skill §3.6): V2's canonical names
 * (gpt_image_1.5, gemini_...) are not among them and answer 2017.
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import type { Params } from '../task-types/definition.ts'
import { editMultiviewImage, generateImage, generateMultiviewImage, textToImage as v2TextToImage } from '../task-types/images.ts'
import { commonParameters, type FileRef, Prompt, StringEnum } from '../task-types/schema-kit.ts'
import type { VersionPolicy } from '../task-types/versions.ts'
import { type Capability, imageRef, Input, modelFields, readInput, requiredInput, sourceTask, withVersion } from './capability.ts'

interface ImageModel {
  /** Price per image (no source prices V3's models: V2's price of the model each alias names). */
  readonly credits: number
  /** Reference images image-to-image takes (reference §3.2: seedream 4, banana 10, chat_image 16). */
  readonly maxImages: number
  readonly family: 'seedream' | 'banana' | 'chat_image'
  /** Takes `quality` (chat_image_2 and the 2.5 models; others refuse it). */
  readonly quality?: true
  /** Takes `background` (the 2.5 models). */
  readonly background?: true
}

export const V3_IMAGE_MODELS: Readonly<Record<string, ImageModel>> = {
  seedream_v5: { credits: 5, maxImages: 4, family: 'seedream' },
  seedream_v4: { credits: 5, maxImages: 4, family: 'seedream' },
  banana: { credits: 5, maxImages: 10, family: 'banana' },
  banana_pro: { credits: 10, maxImages: 10, family: 'banana' },
  banana2: { credits: 10, maxImages: 10, family: 'banana' },
  chat_image_1: { credits: 5, maxImages: 16, family: 'chat_image' },
  'chat_image_1.5': { credits: 10, maxImages: 16, family: 'chat_image' },
  chat_image_2: { credits: 10, maxImages: 16, family: 'chat_image', quality: true },
  'chat_image_2.5_flare': { credits: 10, maxImages: 16, family: 'chat_image', quality: true, background: true },
  'chat_image_2.5_sunburst': { credits: 10, maxImages: 16, family: 'chat_image', quality: true, background: true }
}

const IMAGE_MODEL_NAMES = Object.keys(V3_IMAGE_MODELS)

/** text-to-image takes every model and defaults to seedream_v4; image-to-image refuses seedream_v4 (X-skill §3.6). */
const TEXT_TO_IMAGE_MODELS: VersionPolicy = { default: 'seedream_v4', accepted: IMAGE_MODEL_NAMES, deprecated: [] }
const IMAGE_TO_IMAGE_MODELS: VersionPolicy = { default: 'seedream_v5', accepted: IMAGE_MODEL_NAMES.filter((name) => name !== 'seedream_v4'), deprecated: [] }

const ASPECT_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const
/** Only banana2 takes the extreme ratios. */
const BANANA2_RATIOS = ['1:8', '1:4', '4:1', '8:1'] as const

const imageOptions = {
  ...modelFields('An image model: seedream_v5, seedream_v4, banana, banana_pro, banana2, chat_image_1, chat_image_1.5, chat_image_2, chat_image_2.5_flare, chat_image_2.5_sunburst'),
  size: Type.Optional(Type.String({ pattern: '^(?:[1-8][kK]|[1-9][0-9]{2,3}x[1-9][0-9]{2,3})$', description: 'e.g. 2K or 2048x2048' })),
  aspect_ratio: Type.Optional(StringEnum([...ASPECT_RATIOS, ...BANANA2_RATIOS], { description: 'banana models only (1:8, 1:4, 4:1, 8:1: banana2 only)' })),
  output_format: Type.Optional(StringEnum(['png', 'jpeg'] as const, { default: 'png' })),
  watermark: Type.Optional(Type.Boolean()),
  quality: Type.Optional(StringEnum(['low', 'medium', 'high', 'xhigh', 'max'] as const, { description: 'chat_image_2 and the 2.5 models only' })),
  background: Type.Optional(StringEnum(['auto', 'opaque', 'transparent'] as const, { description: 'The 2.5 models only' })),
  t_pose: Type.Optional(Type.Boolean()),
  sketch_to_render: Type.Optional(Type.Boolean()),
  ...commonParameters
}

/** The options only some models take (reference §3.2): the others refuse them (1004). */
function checkModelOptions (params: Params): ImageModel {
  const name = String(params['model_version'])
  const model = V3_IMAGE_MODELS[name] as ImageModel
  const ratio = params['aspect_ratio']
  if (ratio !== undefined && model.family !== 'banana') throw new ApiError('INVALID_PARAMETER', { detail: `aspect_ratio is taken by the banana models only, not ${name}` })
  if ((BANANA2_RATIOS as readonly unknown[]).includes(ratio) && name !== 'banana2') throw new ApiError('INVALID_PARAMETER', { detail: `aspect_ratio ${String(ratio)} is banana2's only` })
  if (params['quality'] !== undefined && model.quality !== true) throw new ApiError('INVALID_PARAMETER', { detail: `quality is not taken by ${name}` })
  if (params['background'] !== undefined && model.background !== true) throw new ApiError('INVALID_PARAMETER', { detail: `background is not taken by ${name}` })
  return model
}

const modelPrice = (params: Params) => (V3_IMAGE_MODELS[String(params['model_version'])] as ImageModel).credits

export const textToImage: Capability = {
  name: 'textToImage',
  path: '/generation/text-to-image',
  group: 'generation',
  summary: 'Generate an image from a text prompt',
  schema: Type.Object({
    prompt: Prompt(1800, 'What to draw; up to 1800 characters'),
    negative_prompt: Type.Optional(Type.String({ maxLength: 1800 })),
    style_image: Type.Optional(Input('A style reference image')),
    template: Type.Optional(StringEnum(['asset_extraction', 'character_completion', 't_pose', 'variants', 'figure'] as const)),
    ...imageOptions
  }),
  definition: {
    ...v2TextToImage,
    versions: TEXT_TO_IMAGE_MODELS,
    normalize: (params) => { checkModelOptions(params) },
    cost: modelPrice,
    group: () => 'image_generation'
  },
  toParams: (body) => {
    const params = withVersion(body, TEXT_TO_IMAGE_MODELS)
    if (params['style_image'] !== undefined) params['style_image'] = imageRef(readInput(params['style_image'], 'style_image'))
    return params
  }
}

export const imageToImage: Capability = {
  name: 'imageToImage',
  path: '/generation/image-to-image',
  group: 'generation',
  summary: 'Edit, restyle or combine images with a chosen image model',
  schema: Type.Object({
    input: Type.Optional(Input('The reference image')),
    inputs: Type.Optional(Type.Array(Input('A reference image'), { minItems: 1, description: 'Several references (image[1], image[2]... in the prompt); exclusive with input' })),
    prompt: Type.Optional(Prompt(1800, 'The edit; required unless template is given')),
    template: Type.Optional(StringEnum(['asset_extraction', 'character_completion', 't_pose', 'head_extraction', '3d_enhance', 'variants', 'print_clay', 'figure'] as const)),
    ...imageOptions
  }),
  definition: {
    ...generateImage,
    versions: IMAGE_TO_IMAGE_MODELS,
    normalize: (params) => {
      if (params['prompt'] === undefined && params['template'] === undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'prompt is required unless template is given' })
      const model = checkModelOptions(params)
      const files = params['files'] as unknown[] | undefined
      const images = (params['file'] === undefined ? 0 : 1) + (files === undefined ? 0 : files.length)
      if (images > model.maxImages) throw new ApiError('INVALID_PARAMETER', { detail: `${String(params['model_version'])} takes at most ${model.maxImages} reference images` })
    },
    cost: modelPrice,
    group: () => 'image_generation'
  },
  toParams: (body) => {
    const params = withVersion(body, IMAGE_TO_IMAGE_MODELS, ['input', 'inputs'])
    const many = body['inputs'] as unknown[] | undefined
    if (many !== undefined && body['input'] !== undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'input and inputs are mutually exclusive' })
    if (many !== undefined) return { ...params, files: many.map((item, index): FileRef => imageRef(readInput(item, `inputs[${index}]`))) }
    // V2's `files` list is still read as it is.
    if (body['input'] === undefined && body['file'] === undefined && Array.isArray(body['files'])) return params
    return { ...params, file: imageRef(requiredInput(body, ['input', 'file'])) }
  }
}

export const imageToMultiview: Capability = {
  name: 'imageToMultiview',
  path: '/generation/image-to-multiview',
  group: 'generation',
  summary: 'Generate front, left, back and right views from one image',
  schema: Type.Object({
    input: Type.Optional(Input('The image')),
    ...commonParameters
  }),
  definition: { ...generateMultiviewImage, group: () => 'image_generation' },
  toParams: (body) => {
    const { input: _input, ...rest } = body
    return { ...rest, file: imageRef(requiredInput(body, ['input', 'file'])) }
  }
}

export const editMultiview: Capability = {
  name: 'editMultiview',
  path: '/generation/edit-multiview',
  group: 'generation',
  summary: 'Edit some views of a multiview image task with prompts',
  schema: Type.Object({
    input: Type.Optional(Input('The task id of an image-to-multiview (or edit-multiview) task')),
    original_task_id: Type.Optional(Type.String({ minLength: 1, description: 'V2\'s name for the source task, still accepted' })),
    prompts: Type.Array(Type.Object({
      view: StringEnum(['front', 'left', 'back', 'right'] as const),
      prompt: Prompt(1024, 'The edit for this view')
    }), { minItems: 1, maxItems: 4, description: 'One edit per view, 1 to 4' }),
    ...commonParameters
  }),
  definition: { ...editMultiviewImage, group: () => 'image_generation' },
  // The service takes only a task id here (the JS SDK's note): a file or URL input is refused.
  toParams: (body) => {
    const { input: _input, ...rest } = body
    return { ...rest, original_task_id: sourceTask(body, ['input', 'original_task_id']) }
  }
}

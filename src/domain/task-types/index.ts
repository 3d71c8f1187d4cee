/**
 * The task type catalogue: every type the emulator knows (V2's `POST /task` accepts all but the
 * V3-only ones), and the ones V2 refuses by name.
 */
import { animatePrerigcheck, animateRetarget, animateRig } from './animation.ts'
import type { TaskTypeDefinition } from './definition.ts'
import { editMultiviewImage, generateImage, generateMultiviewImage, textToImage } from './images.ts'
import { imageToModel, multiviewToModel, refineModel, textToModel } from './model-generation.ts'
import { convertModel, highpolyToLowpoly, importModel, meshCompletion, meshSegmentation, stylizeModel, textureModel } from './post-processing.ts'
import { imageToSplat, meshSmartSegmentation } from './v3-only.ts'

const definitions: readonly TaskTypeDefinition[] = [
  textToModel, imageToModel, multiviewToModel, refineModel,
  textureModel, animatePrerigcheck, animateRig, animateRetarget,
  stylizeModel, convertModel, meshSegmentation, meshCompletion, highpolyToLowpoly, importModel,
  textToImage, generateImage, generateMultiviewImage, editMultiviewImage,
  imageToSplat, meshSmartSegmentation
]

/** Every task type, by name: a task of any of them can be read, forced and referenced. */
export const TASK_TYPES: ReadonlyMap<string, TaskTypeDefinition> = new Map(definitions.map((definition) => [definition.type, definition]))

export const TASK_TYPE_NAMES: readonly string[] = definitions.map((definition) => definition.type)

/** The types V2's `POST /task` creates. */
export const V2_TASK_TYPES: ReadonlyMap<string, TaskTypeDefinition> = new Map(definitions.filter((definition) => definition.v3Only !== true).map((definition) => [definition.type, definition]))

export const V2_TASK_TYPE_NAMES: readonly string[] = [...V2_TASK_TYPES.keys()]

/** Still routed by V2 but refused as deprecated (2016): animate_model (PY commit 660c63c; MIG §2). */
export const DEPRECATED_TASK_TYPES: ReadonlySet<string> = new Set(['animate_model'])

export * from './definition.ts'

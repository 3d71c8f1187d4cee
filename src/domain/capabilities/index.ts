/**
 * The V3 capability catalogue: every creation endpoint of V3 (reference §3: 20 of them), in the
 * order of the reference. The V3 surface routes one POST to each.
 */
import { rig, rigCheck, retarget } from './animation.ts'
import type { Capability } from './capability.ts'
import { imageToModel, imageToSplat, multiviewToModel, textToModel } from './generation.ts'
import { editMultiview, imageToImage, imageToMultiview, textToImage } from './images.ts'
import { complete, decimate, segment, smartSegment } from './mesh.ts'
import { convertModel, importModel, refineModel, stylizeModel, textureModel } from './models.ts'

export const CAPABILITIES: readonly Capability[] = [
  textToModel, imageToModel, multiviewToModel, imageToSplat,
  textToImage, imageToImage, imageToMultiview, editMultiview,
  importModel, refineModel, textureModel, stylizeModel, convertModel,
  rigCheck, rig, retarget,
  segment, smartSegment, complete, decimate
]

export { type Capability, type CapabilityGroup, taskRequestOf } from './capability.ts'

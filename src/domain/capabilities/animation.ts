/**
 * V3's animation endpoints (V3 reference §3.4): rig-check, rig and retarget.
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import { ANIMATION_PRESETS, animatePrerigcheck, animateRetarget, animateRig, RIG_TYPES } from '../task-types/animation.ts'
import { commonParameters, StringEnum } from '../task-types/schema-kit.ts'
import type { VersionPolicy } from '../task-types/versions.ts'
import { type Capability, Input, modelFields, modelSource, sourceTask, withModelInput, withVersion } from './capability.ts'

const OriginalModelTaskId = Type.Optional(Type.String({ minLength: 1, description: 'V2\'s name for the source task, still accepted' }))
const SOURCE_FIELDS = ['input', 'original_model_task_id'] as const

export const rigCheck: Capability = {
  name: 'rigCheck',
  path: '/animations/rig-check',
  group: 'animations',
  summary: 'Check whether a model can be rigged, and as what (free)',
  schema: Type.Object({
    input: Type.Optional(Input('The model: a task id, a file_token, or a URL of a GLB')),
    original_model_task_id: OriginalModelTaskId,
    ...commonParameters
  }),
  definition: { ...withModelInput(animatePrerigcheck), group: () => 'animation' },
  toParams: (body) => ({ ...withVersion(body, undefined, [...SOURCE_FIELDS]), ...modelSource(body) })
}

/** V3 rigs with v1.0 (biped) or v2.5 (every rig type); V2's v2.0-20250506 is gone (X-skill §3.2). */
const RIG_VERSIONS: VersionPolicy = { default: 'v1.0-20240301', accepted: ['v1.0-20240301', 'v2.5-20260210'], deprecated: [] }

export const rig: Capability = {
  name: 'rig',
  path: '/animations/rig',
  group: 'animations',
  summary: 'Rig a model',
  schema: Type.Object({
    input: Type.Optional(Input('The model: a task id or a file_token')),
    original_model_task_id: OriginalModelTaskId,
    ...modelFields('v1.0-20240301 (default, biped) or v2.5-20260210'),
    rig_type: Type.Optional(StringEnum(RIG_TYPES, { default: 'biped' })),
    spec: Type.Optional(StringEnum(['tripo', 'mixamo'] as const, { default: 'tripo' })),
    out_format: Type.Optional(StringEnum(['glb', 'fbx'] as const, { default: 'glb' })),
    ...commonParameters
  }),
  definition: { ...withModelInput(animateRig), versions: RIG_VERSIONS, group: () => 'animation' },
  toParams: (body) => ({ ...withVersion(body, RIG_VERSIONS, [...SOURCE_FIELDS]), ...modelSource(body) })
}

const AnimationPreset = Type.Union([
  StringEnum(ANIMATION_PRESETS),
  Type.String({ pattern: '^preset:biped:[a-z0-9_]+$', description: 'A biped preset (needs a v1.0-20240301 rig)' })
], { description: 'An animation preset' })

export const retarget: Capability = {
  name: 'retarget',
  path: '/animations/retarget',
  group: 'animations',
  summary: 'Apply one to five animation presets to a rigged model',
  schema: Type.Object({
    input: Type.Optional(Input('The task id of a rig task')),
    original_model_task_id: OriginalModelTaskId,
    animation: Type.Optional(AnimationPreset),
    animations: Type.Optional(Type.Array(AnimationPreset, { minItems: 1, maxItems: 5, description: 'Up to 5 presets, billed per animation; exclusive with animation' })),
    out_format: Type.Optional(StringEnum(['glb', 'fbx'] as const, { default: 'glb' })),
    bake_animation: Type.Optional(Type.Boolean({ default: true, description: 'glb only' })),
    export_with_geometry: Type.Optional(Type.Boolean({ default: true })),
    animate_in_place: Type.Optional(Type.Boolean({ default: false })),
    render_video: Type.Optional(Type.Boolean()),
    ...commonParameters
  }),
  definition: { ...animateRetarget, group: () => 'animation' },
  toParams: (body) => {
    if (body['animation'] !== undefined && body['animations'] !== undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'animation and animations are mutually exclusive' })
    const { input: _input, ...rest } = body
    return { ...rest, original_model_task_id: sourceTask(body, [...SOURCE_FIELDS]) }
  }
}

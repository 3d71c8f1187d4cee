/**
 * animate_prerigcheck, animate_rig, animate_retarget (reference §4.4–4.6).
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import { defineTaskType } from './definition.ts'
import { commonParameters, StringEnum } from './schema-kit.ts'

export const RIG_TYPES = ['biped', 'quadruped', 'hexapod', 'octopod', 'avian', 'serpentine', 'aquatic', 'others'] as const

/** The documented presets; the ~100 `preset:biped:*` ones are accepted by pattern. */
export const ANIMATION_PRESETS = [
  'preset:idle', 'preset:walk', 'preset:run', 'preset:dive', 'preset:climb', 'preset:jump', 'preset:slash',
  'preset:shoot', 'preset:hurt', 'preset:fall', 'preset:turn', 'preset:quadruped:walk', 'preset:hexapod:walk',
  'preset:octopod:walk', 'preset:serpentine:march', 'preset:aquatic:march'
] as const

const AnimationSchema = Type.Union([
  StringEnum(ANIMATION_PRESETS),
  Type.String({ pattern: '^preset:biped:[a-z0-9_]+$', description: 'A biped preset (needs a v1.0-20240301 rig)' })
], { description: 'An animation preset' })

const modelSource = (taskId: string) => ({ field: 'original_model_task_id', taskId, allowedTypes: 'model' as const })

export const animatePrerigcheck = defineTaskType({
  type: 'animate_prerigcheck',
  summary: 'Check whether a model can be rigged, and as what',
  schema: Type.Object({
    type: Type.Literal('animate_prerigcheck'),
    original_model_task_id: Type.String({ minLength: 1, description: 'A successful task whose output holds a model' }),
    model_version: Type.Optional(StringEnum(['v1.0-20240301', 'v2.0-20250506'] as const)),
    ...commonParameters
  }),
  versions: { accepted: ['v1.0-20240301', 'v2.0-20250506'], deprecated: [] },
  durations: { queuedMs: 500, runningMs: 2000 },
  hasModelOutput: false,
  sources: (params) => [{ ...modelSource(params.original_model_task_id), wrongType: 'PRERIGCHECK_WITHOUT_MODEL' }],
  cost: () => 0,
  group: () => 'animate_prerigcheck',
  outputs: () => ({ riggable: { value: true }, rig_type: { value: 'biped' } })
})

export const animateRig = defineTaskType({
  type: 'animate_rig',
  summary: 'Rig a model',
  schema: Type.Object({
    type: Type.Literal('animate_rig'),
    original_model_task_id: Type.String({ minLength: 1, description: 'A successful task whose output holds a model' }),
    out_format: Type.Optional(StringEnum(['glb', 'fbx'] as const, { default: 'glb' })),
    model_version: Type.Optional(StringEnum(['v1.0-20240301', 'v2.5-20260210', 'v2.0-20250506'] as const, { default: 'v1.0-20240301' })),
    rig_type: Type.Optional(StringEnum(RIG_TYPES, { default: 'biped' })),
    spec: Type.Optional(StringEnum(['tripo', 'mixamo'] as const, { default: 'tripo' })),
    ...commonParameters
  }),
  versions: { default: 'v1.0-20240301', accepted: ['v1.0-20240301', 'v2.5-20260210', 'v2.0-20250506'], deprecated: [] },
  durations: { queuedMs: 1000, runningMs: 10000 },
  hasModelOutput: true,
  sources: (params) => [modelSource(params.original_model_task_id)],
  cost: () => 25,
  group: () => 'animate_rig',
  outputs: (params) => ({ model: { asset: params.out_format === 'fbx' ? 'rigged.fbx' : 'rigged.glb' } })
})

export const animateRetarget = defineTaskType({
  type: 'animate_retarget',
  summary: 'Apply animation presets to a rigged model',
  schema: Type.Object({
    type: Type.Literal('animate_retarget'),
    original_model_task_id: Type.String({ minLength: 1, description: 'A successful animate_rig task' }),
    animation: Type.Optional(AnimationSchema),
    animations: Type.Optional(Type.Array(AnimationSchema, { minItems: 1, maxItems: 5, description: 'Up to 5 presets, billed per animation' })),
    out_format: Type.Optional(StringEnum(['glb', 'fbx'] as const, { default: 'glb' })),
    bake_animation: Type.Optional(Type.Boolean({ default: true, description: 'Only effective on glb' })),
    export_with_geometry: Type.Optional(Type.Boolean({ default: true })),
    animate_in_place: Type.Optional(Type.Boolean({ default: false })),
    ...commonParameters
  }),
  durations: { queuedMs: 1000, runningMs: 5000 },
  hasModelOutput: true,
  sources: (params) => [{ field: 'original_model_task_id', taskId: params.original_model_task_id, allowedTypes: ['animate_rig'], wrongType: 'NOT_A_RIG_TASK' }],
  normalize: (params) => {
    if (params.animation === undefined && params.animations === undefined) {
      throw new ApiError('INVALID_PARAMETER', { detail: 'animation or animations is required' })
    }
  },
  cost: (params) => 10 * (params.animations?.length ?? 1),
  group: () => 'animate_retarget',
  outputs: (params) => ({ model: { asset: params.out_format === 'fbx' ? 'animated.fbx' : 'animated.glb' } })
})

/**
 * The validator of scenario files, compiled by Ajv when this module loads. The server bundle
 * carries it precompiled instead (scripts/bundle.ts replaces this module by Ajv's standalone code
 * for the same schema and options): compiling it was a tenth of every cold start.
 */
import { Ajv, type Options } from 'ajv'
import { type ScenarioFile, ScenarioFileSchema } from './model.ts'

// allErrors: a refusal lists every problem of a file, not the first. verbose: refusals quote the
// schema's own description of a field. Compiled once: no optimising.
export const SCENARIO_FILE_AJV_OPTIONS: Options = { allErrors: true, strict: false, verbose: true, validateSchema: false, code: { optimize: false } }

export const validateScenarioFile = new Ajv(SCENARIO_FILE_AJV_OPTIONS).compile<ScenarioFile>(ScenarioFileSchema)

/**
 * Reads scenario files: every `*.yaml`, `*.yml` or `*.json` of a folder, one scenario per file,
 * named after the file (which they keep by its name in the folder). All or nothing: one bad file refuses the whole load, so a reload never
 * leaves half a set in place.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { load as parseYaml } from 'js-yaml'
import { compileScenario, ScenarioError } from './compile.ts'
import type { Scenario, ScenarioOrigin } from './model.ts'

const EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

export function loadScenarioFolder (dir: string, origin: ScenarioOrigin): Scenario[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter((name) => EXTENSIONS.has(extname(name))).sort()
  } catch (error) {
    throw new ScenarioError(`cannot read the scenario folder ${dir}: ${(error as Error).message}`)
  }
  return names.map((name) => {
    // Scenarios, and refusals, name their file relative to its folder: the control plane shows
    // them, and the server's own paths are none of a client's business.
    const file = name
    let text: string
    try {
      text = readFileSync(join(dir, name), 'utf8')
    } catch (error) {
      // A folder named like a scenario file, or one the process may not read: one clear line too.
      throw new ScenarioError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code as string}`)
    }
    let parsed: unknown
    try {
      parsed = extname(name) === '.json' ? JSON.parse(text) : parseYaml(text)
    } catch (error) {
      throw new ScenarioError(`${file}: not valid ${extname(name) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0] as string}`)
    }
    return compileScenario(parsed, { name: basename(name, extname(name)), origin, file })
  })
}

/** The built-in scenarios, then those of the configured folder; a name may appear once. */
export function loadScenarios (builtinDir: string, extraDir: string | undefined): Scenario[] {
  const scenarios = loadScenarioFolder(builtinDir, 'builtin')
  if (extraDir !== undefined && extraDir !== '') scenarios.push(...loadScenarioFolder(extraDir, 'file'))
  const byName = new Map<string, Scenario>()
  for (const scenario of scenarios) {
    const first = byName.get(scenario.name)
    if (first !== undefined) throw new ScenarioError(`${scenario.file as string}: the scenario name "${scenario.name}" is taken by ${first.origin === scenario.origin ? '' : 'the built-in '}${first.file as string}`)
    byName.set(scenario.name, scenario)
  }
  return scenarios
}

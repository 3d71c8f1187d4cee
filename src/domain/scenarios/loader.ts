/**
 * Reads scenario files: every `*.yaml`, `*.yml` or `*.json` of a folder, one scenario per file,
 * named after the file (which they keep by its name in the folder). A scan finds every problem of
 * every file (for `tripo-mock validate`) and names the entries it skips; a load is all or nothing,
 * so a reload never leaves half a set in place.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { load as parseYaml } from 'js-yaml'
import { compileScenario, ScenarioError } from './compile.ts'
import type { Scenario, ScenarioOrigin } from './model.ts'

const EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

export interface ScenarioScan {
  /** Whether the folder could be read at all (else `problems` says why). */
  readonly readable: boolean
  /** The scenarios of the files without problems. */
  readonly scenarios: Scenario[]
  /** Every problem of every file, one line each (`<file>: <field>: <problem>`, the file by its name in the folder). */
  readonly problems: string[]
  /** How many files have problems. */
  readonly refused: number
  /** Entries not read, by their names in the folder: neither .yaml, .yml nor .json, or folders (`name/`). Hidden ones (.gitkeep) go unnamed. */
  readonly skipped: string[]
}

/** Reads every scenario file of a folder, and notes every problem instead of stopping at the first. */
export function scanScenarioFolder (dir: string, origin: ScenarioOrigin): ScenarioScan {
  const scan = { readable: true, scenarios: [] as Scenario[], problems: [] as string[], refused: 0, skipped: [] as string[] }
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (error as Error).message
    scan.problems.push(`cannot read the scenario folder ${dir}: ${why}`)
    return { ...scan, readable: false }
  }
  // In code-unit order of their names, as before: the same order on every machine.
  entries.sort((a, b) => Number(a.name > b.name) - Number(a.name < b.name))
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    // By name only: a folder named like a scenario file is read, and refused as one.
    if (!EXTENSIONS.has(extname(entry.name))) {
      scan.skipped.push(entry.isDirectory() ? `${entry.name}/` : entry.name)
      continue
    }
    try {
      scan.scenarios.push(readScenarioFile(dir, entry.name, origin))
    } catch (error) {
      // Every failure of a file is a refusal made below (anything else would fail here, loudly).
      scan.problems.push(...(error as ScenarioError).problems)
      scan.refused++
    }
  }
  return scan
}

function readScenarioFile (dir: string, name: string, origin: ScenarioOrigin): Scenario {
  // Scenarios, and refusals, name their file relative to its folder: the control plane shows
  // them, and the server's own paths are none of a client's business.
  const file = name
  const extension = extname(name)
  let text: string
  try {
    text = readFileSync(join(dir, name), 'utf8')
  } catch (error) {
    // A folder named like a scenario file, or one the process may not read: one clear line too.
    throw new ScenarioError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code as string}`)
  }
  let parsed: unknown
  try {
    parsed = extension === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new ScenarioError(`${file}: not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0] as string}`)
  }
  return compileScenario(parsed, { name: basename(name, extension), origin, file })
}

/** All or nothing: the folder's scenarios, or a ScenarioError with every problem. */
export function loadScenarioFolder (dir: string, origin: ScenarioOrigin): Scenario[] {
  const scan = scanScenarioFolder(dir, origin)
  if (scan.problems.length > 0) throw new ScenarioError(scan.problems)
  return scan.scenarios
}

/** Scenarios of `added` whose names are taken by `taken` or by an earlier one of `added`. */
export function nameClashes (taken: readonly Scenario[], added: readonly Scenario[]): string[] {
  const byName = new Map(taken.map((scenario) => [scenario.name, scenario]))
  const clashes: string[] = []
  for (const scenario of added) {
    const first = byName.get(scenario.name)
    if (first === undefined) byName.set(scenario.name, scenario)
    else clashes.push(`${scenario.file as string}: the scenario name "${scenario.name}" is taken by ${first.origin === scenario.origin ? '' : 'the built-in '}${first.file as string}`)
  }
  return clashes
}

/** The built-in scenarios, then those of the configured folder; a name may appear once. */
export function loadScenarios (builtinDir: string, extraDir: string | undefined): Scenario[] {
  const scans = [scanScenarioFolder(builtinDir, 'builtin')]
  if (extraDir !== undefined && extraDir !== '') scans.push(scanScenarioFolder(extraDir, 'file'))
  const scenarios = scans.flatMap((scan) => scan.scenarios)
  const problems = [...scans.flatMap((scan) => scan.problems), ...nameClashes([], scenarios)]
  if (problems.length > 0) throw new ScenarioError(problems)
  return scenarios
}

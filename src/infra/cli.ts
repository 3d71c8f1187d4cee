/**
 * The command line: `tripo-mock [options]` starts the emulator; `tripo-mock validate [folder...]`
 * checks scenario files. Every setting of the configuration schema is a flag (`--starting-credits
 * 500`), with a few short names; values are parsed by the configuration loader like environment
 * values (lists comma-separated, maps as JSON).
 */
import { parseArgs } from 'node:util'
import { didYouMean } from '../domain/did-you-mean.ts'
import { nameClashes, type ScenarioScan, scanScenarioFolder } from '../domain/scenarios/loader.ts'
import { type Config, CONFIG_KEYS, ConfigError, type ConfigKey, ConfigSchema, envName, flagName } from './config.ts'

/** Short and familiar names for a few settings. */
export const FLAG_ALIASES: Readonly<Record<string, ConfigKey>> = { clock: 'clockMode', speed: 'clockSpeed', scenario: 'scenarios' }

export type Command =
  | {
    readonly kind: 'start'
    readonly flags: Partial<Record<ConfigKey, string>>
    /** How each given flag was spelled (`--scenario`), for refusals that name it. */
    readonly flagNames: Partial<Record<ConfigKey, string>>
    readonly configFile?: string
  }
  | { readonly kind: 'validate', readonly folders: readonly string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }

const kebab = (key: string) => flagName(key as ConfigKey).slice(2)

type OptionSpec = { type: 'string' | 'boolean', short?: string, multiple?: boolean }

function optionSpecs (): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    config: { type: 'string', short: 'c' }
  }
  for (const key of CONFIG_KEYS) options[kebab(key)] = { type: 'string', multiple: true }
  for (const alias of Object.keys(FLAG_ALIASES)) options[alias] = { type: 'string', multiple: true }
  options['port'] = { type: 'string', short: 'p', multiple: true }
  return options
}

/** Every refusal of the command line ends the same way. */
const refused = (problem: string) => new ConfigError(`${problem} (see --help)`)

export function parseCommandLine (argv: readonly string[]): Command {
  const options = optionSpecs()
  // Not strict: Node's own refusals suggest nothing, and take `--port -1` for a missing value.
  // The tokens are checked here instead, with messages that say what to type.
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true })
  const longNames = Object.keys(options).map((name) => `--${name}`)
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const spec = options[token.name]
    if (spec === undefined) {
      // A single letter is too short to guess from.
      const guess = token.rawName.startsWith('--') ? didYouMean(token.rawName, longNames) : ''
      throw refused(`unknown option ${token.rawName}${guess === '' ? '' : `: ${guess}`}`)
    }
    if (spec.type === 'boolean' && token.value !== undefined) throw refused(`${token.rawName} takes no value`)
    // `--port --clock manual`: the next argument is an option of its own, not the port.
    const swallowed = token.inlineValue === false && longNames.includes(token.value?.split('=')[0] as string)
    if (spec.type === 'string' && (token.value === undefined || swallowed)) throw refused(`${token.rawName} needs a value`)
  }
  if (values['help'] === true) return { kind: 'help' }
  if (values['version'] === true) return { kind: 'version' }
  if (positionals[0] === 'validate') return { kind: 'validate', folders: positionals.slice(1) }
  if (positionals.length > 0) throw refused(`unknown command "${positionals[0] as string}"`)

  const flags: Partial<Record<ConfigKey, string>> = {}
  const flagNames: Partial<Record<ConfigKey, string>> = {}
  const take = (key: ConfigKey, given: unknown, spelling: string) => {
    if (!Array.isArray(given)) return
    // A list setting may be given several times; any other takes its last value.
    const previous = flags[key]
    flags[key] = isList(key) && previous !== undefined ? `${previous},${given.join(',')}` : (isList(key) ? given.join(',') : String(given.at(-1)))
    flagNames[key] = spelling
  }
  for (const key of CONFIG_KEYS) take(key, values[kebab(key)], flagName(key))
  for (const [alias, key] of Object.entries(FLAG_ALIASES)) take(key, values[alias], `--${alias}`)
  const configFile = values['config']
  return { kind: 'start', flags, flagNames, ...(typeof configFile === 'string' ? { configFile } : {}) }
}

function isList (key: ConfigKey): boolean {
  return (ConfigSchema.properties[key] as { type?: string }).type === 'array'
}

/** One row per setting: flag, environment variable, default, meaning. The README's table is this. */
export function settingsTable (): string {
  const rows = CONFIG_KEYS.map((key) => {
    // Every setting of the schema has a description (the README's table would show the gap).
    const schema = ConfigSchema.properties[key] as unknown as { default?: unknown, description: string }
    const alias = Object.entries(FLAG_ALIASES).find(([, target]) => target === key)?.[0]
    const flag = `\`${flagName(key)}\`${alias === undefined ? '' : ` (\`--${alias}\`)`}`
    // Markdown: a pipe would end the cell, and <token> would read as an HTML tag.
    const meaning = schema.description.replaceAll('|', '\\|').replaceAll('<', '&lt;')
    return `| \`${key}\` | ${flag} | \`${envName(key)}\` | \`${JSON.stringify(schema.default)}\` | ${meaning} |`
  })
  return ['| Setting | Flag | Environment | Default | Meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}

/** The README's markers around the settings table: `npm run docs` rewrites what lies between. */
export const SETTINGS_TABLE_START = '<!-- settings table: generated from src/infra/config.ts by `npm run docs`; test/readme.test.ts checks it -->'
export const SETTINGS_TABLE_END = '<!-- end of the settings table -->'

/** The README with the current settings table between its markers; undefined when it has none. */
export function withSettingsTable (readme: string): string | undefined {
  const start = readme.indexOf(SETTINGS_TABLE_START)
  const end = readme.indexOf(SETTINGS_TABLE_END)
  if (start < 0 || end < start) return undefined
  return `${readme.slice(0, start + SETTINGS_TABLE_START.length)}\n${settingsTable()}\n${readme.slice(end)}`
}

export interface ValidateReport {
  /** Every file of every folder passed. */
  readonly ok: boolean
  /** Per folder: how many scenarios passed, were refused, were skipped; and the skipped files. */
  readonly stdout: string
  /** Every problem of every file, one line each. */
  readonly stderr: string
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** `tripo-mock validate [folder...]`: the built-in scenarios, then each folder as a scenariosDir would be. */
export function validateReport (builtinDir: string, folders: readonly string[]): ValidateReport {
  const out: string[] = []
  const problems: string[] = []
  /** `place` is how the report names the folder; `prefix` goes before each file's name in it. */
  const report = (place: string, prefix: string, scan: ScenarioScan, clashes: readonly string[]) => {
    if (!scan.readable) {
      problems.push(...scan.problems)
      out.push(`${place}: not read`)
      return
    }
    // A file is named by its name in the folder: on the user's terminal, with the folder they gave.
    problems.push(...[...scan.problems, ...clashes].map((problem) => `${prefix}${problem}`))
    const refused = scan.refused + clashes.length
    const parts = [`${count(scan.scenarios.length - clashes.length, 'scenario')} OK`]
    if (refused > 0) parts.push(`${refused} refused`)
    if (scan.skipped.length > 0) parts.push(`${count(scan.skipped.length, 'entry', 'entries')} skipped`)
    out.push(`${place}: ${parts.join(', ')}`)
    for (const skipped of scan.skipped) out.push(`  skipped ${prefix}${skipped} (scenario files end in .yaml, .yml or .json)`)
  }
  const builtin = scanScenarioFolder(builtinDir, 'builtin')
  report('built-in', '', builtin, nameClashes([], builtin.scenarios))
  for (const folder of folders) {
    const scan = scanScenarioFolder(folder, 'file')
    report(folder, `${folder.replace(/\/+$/, '')}/`, scan, nameClashes(builtin.scenarios, scan.scenarios))
  }
  return { ok: problems.length === 0, stdout: `${out.join('\n')}\n`, stderr: problems.map((problem) => `${problem}\n`).join('') }
}

export function helpText (name: string, version: string): string {
  const lines = CONFIG_KEYS.map((key) => {
    const schema = ConfigSchema.properties[key] as { default?: unknown, description?: string }
    return `  ${flagName(key).padEnd(24)} ${schema.description as string} (default ${JSON.stringify(schema.default)}; env ${envName(key)})`
  })
  return [
    `${name} ${version}: a local emulator of the Tripo 3D API`,
    '',
    'Usage:',
    `  ${name} [options]                 start the emulator`,
    `  ${name} validate [folder...]      check scenario files (the built-in ones and these folders)`,
    '',
    'Options (flag > environment > config file > default):',
    '  -c, --config <file>      a YAML or JSON file of settings',
    '  -h, --help               this help',
    '  -v, --version            the version',
    '  -p, --port, --clock (clock-mode), --speed (clock-speed), --scenario (scenarios): short names',
    ...lines,
    ''
  ].join('\n')
}

export type { Config }

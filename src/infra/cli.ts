/**
 * The command line: `tripo-mock [options]` starts the emulator; `tripo-mock validate [folder...]`
 * checks scenario files. Every setting of the configuration schema is a flag (`--starting-credits
 * 500`), with a few short names; values are parsed by the configuration loader like environment
 * values (lists comma-separated, maps as JSON).
 */
import { parseArgs } from 'node:util'
import { type Config, CONFIG_KEYS, ConfigError, type ConfigKey, ConfigSchema, envName, flagName } from './config.ts'

/** Short and familiar names for a few settings. */
export const FLAG_ALIASES: Readonly<Record<string, ConfigKey>> = { clock: 'clockMode', speed: 'clockSpeed', scenario: 'scenarios' }

export type Command =
  | { readonly kind: 'start', readonly flags: Partial<Record<ConfigKey, string>>, readonly configFile?: string }
  | { readonly kind: 'validate', readonly folders: readonly string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }

const kebab = (key: string) => flagName(key as ConfigKey).slice(2)

export function parseCommandLine (argv: readonly string[]): Command {
  const options: Record<string, { type: 'string' | 'boolean', short?: string, multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    config: { type: 'string', short: 'c' }
  }
  for (const key of CONFIG_KEYS) options[kebab(key)] = { type: 'string', multiple: true }
  for (const alias of Object.keys(FLAG_ALIASES)) options[alias] = { type: 'string', multiple: true }
  options['port'] = { type: 'string', short: 'p', multiple: true }

  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split('\n')[0] as string} (see --help)`)
  }
  const { values, positionals } = parsed
  if (values['help'] === true) return { kind: 'help' }
  if (values['version'] === true) return { kind: 'version' }
  if (positionals[0] === 'validate') return { kind: 'validate', folders: positionals.slice(1) }
  if (positionals.length > 0) throw new ConfigError(`unknown command "${positionals[0] as string}" (see --help)`)

  const flags: Partial<Record<ConfigKey, string>> = {}
  const take = (key: ConfigKey, given: unknown) => {
    if (!Array.isArray(given)) return
    // A list setting may be given several times; any other takes its last value.
    const previous = flags[key]
    flags[key] = isList(key) && previous !== undefined ? `${previous},${given.join(',')}` : (isList(key) ? given.join(',') : String(given.at(-1)))
  }
  for (const key of CONFIG_KEYS) take(key, values[kebab(key)])
  for (const [alias, key] of Object.entries(FLAG_ALIASES)) take(key, values[alias])
  const configFile = values['config']
  return { kind: 'start', flags, ...(typeof configFile === 'string' ? { configFile } : {}) }
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

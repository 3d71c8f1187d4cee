/**
 * `npm run docs [README path]`: rewrites the README's configuration table, between its markers,
 * from the configuration schema. test/readme.test.ts fails until the README matches the schema.
 * The default path is README.md of the current folder (under npm, the package's own).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { withSettingsTable } from '../src/infra/cli.ts'

const path = process.argv[2] ?? 'README.md'
const before = readFileSync(path, 'utf8')
const after = withSettingsTable(before)
if (after === undefined) {
  process.stderr.write(`${path}: the settings table markers are missing (see SETTINGS_TABLE_START in src/infra/cli.ts)\n`)
  process.exitCode = 1
} else if (after === before) {
  process.stdout.write(`${path}: the settings table is up to date\n`)
} else {
  writeFileSync(path, after)
  process.stdout.write(`${path}: settings table rewritten\n`)
}

/**
 * Writes the sample output files into fixtures/ (or the folder given as the first argument).
 * `npm run fixtures`. Deterministic: a rerun writes the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildFixtures } from './fixtures/index.ts'

const folder = process.argv[2] ?? fileURLToPath(new URL('../fixtures/', import.meta.url))
mkdirSync(folder, { recursive: true })
for (const [name, bytes] of Object.entries(await buildFixtures())) {
  writeFileSync(join(folder, name), bytes)
  process.stdout.write(`${name.padEnd(18)} ${String(bytes.length).padStart(7)} bytes\n`)
}

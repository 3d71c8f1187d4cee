/**
 * Whether dist/ was built from the sources as they are now, found without building: the newest
 * modification time among the build's inputs against the stamp the last successful build left in
 * dist/. `npm start`, `npm test` and `npm install` (prepare) build only when it says stale, so a
 * start after an install takes a fraction of a second instead of a build's twenty.
 *
 *   node scripts/build-state.js begin    the build's first step: notes when it began
 *   node scripts/build-state.js done     its last step: the stamp, dated when the build began
 *   node scripts/build-state.js ensure   builds (npm run build) when stale, else does nothing
 *
 * The stamp is dated when the build began, so a source saved while the build ran is newer than
 * it, and the next start builds again. Folders count as inputs too: deleting a file changes its
 * folder's time. Plain JavaScript, run by node itself: it decides whether there is anything to
 * compile, so it cannot need compiling.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** What `npm run build` reads: a change to any of them makes dist/ stale. */
export const BUILD_INPUTS = ['src', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']

const BEGUN = 'dist/.build-begun'
const STAMP = 'dist/.build-stamp'

/** The newest modification time (ms) of the inputs under `base`, and which input it is. */
export function newestInput (base = root, inputs = BUILD_INPUTS) {
  let newest = { path: '', mtimeMs: 0 }
  const consider = (path) => {
    const { mtimeMs } = statSync(join(base, path))
    if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs }
  }
  for (const input of inputs) {
    let stats
    try {
      stats = statSync(join(base, input))
    } catch {
      continue
    }
    consider(input)
    if (!stats.isDirectory()) continue
    for (const entry of readdirSync(join(base, input), { recursive: true })) consider(join(input, String(entry)))
  }
  return newest
}

/** Why dist/ is stale ('' when it is up to date). */
export function staleness (base = root) {
  // An installed package has no sources to build from: what it holds is what it runs.
  if (!exists(join(base, 'src'))) return ''
  let stamp
  try {
    stamp = statSync(join(base, STAMP)).mtimeMs
  } catch {
    return 'no complete build yet'
  }
  const newest = newestInput(base)
  return newest.mtimeMs > stamp ? `${newest.path} changed since the last build` : ''
}

function exists (path) {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

/** Builds when stale; returns false when a needed build failed. */
export function ensureBuilt (base = root) {
  const why = staleness(base)
  if (why === '') return true
  process.stderr.write(`tripo-mock: building (${why})\n`)
  // Under npm, the npm that runs us; otherwise the one on the PATH.
  const npm = process.env['npm_execpath']
  const command = npm === undefined ? ['npm', ['run', 'build']] : [process.execPath, [npm, 'run', 'build']]
  // The build's output goes to stderr: stdout is the server's, and stays its log lines alone.
  const build = spawnSync(command[0], command[1], { cwd: base, stdio: ['ignore', 2, 2] })
  if (build.status === 0) return true
  process.stderr.write(`tripo-mock: the build failed${build.error === undefined ? '' : ` (${build.error.message})`}; \`npm install\` first?\n`)
  return false
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const step = process.argv[2]
  if (step === 'begin') {
    // A build that fails half-way must not leave the previous stamp vouching for dist/.
    rmSync(join(root, STAMP), { force: true })
    mkdirSync(join(root, 'dist'), { recursive: true })
    writeFileSync(join(root, BEGUN), '')
  } else if (step === 'done') {
    renameSync(join(root, BEGUN), join(root, STAMP))
  } else if (step === 'ensure') {
    if (!ensureBuilt()) process.exitCode = 1
  } else {
    process.stderr.write('usage: node scripts/build-state.js begin|done|ensure\n')
    process.exitCode = 2
  }
}

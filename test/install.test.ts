/**
 * The first minutes with a clone: `npm install` stays quiet on every supported Node, and `npm
 * start` builds only when the sources changed.
 * - Quiet: every package the lockfile installs supports every Node version `engines` names (npm
 *   prints EBADENGINE otherwise), every package with an install script is decided in
 *   `allowScripts` (npm prints an install-scripts warning otherwise), and the README names the
 *   same versions.
 * - Builds: scripts/build-state.js and scripts/start.js, run in a scratch project whose build is a
 *   one-liner: a build the first time, none while nothing changed, one after a change (a file
 *   edited, deleted, or saved while the build ran), none where there are no sources.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import semver from 'semver'
import t, { type Test } from 'tap'
import { finish, type Finished } from './fixtures/finish.ts'
import { uncoveredEnv } from './fixtures/uncovered.ts'

// Each build below is an npm run in a child process, on a busy two-core machine.
t.setTimeout(180_000)

const root = fileURLToPath(new URL('..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }, allowScripts?: Record<string, boolean> }
const lockfile = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string, engines?: { node?: string } | string[], hasInstallScript?: boolean }>
}
const installed = Object.entries(lockfile.packages).filter(([path]) => path !== '')
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)

t.test('every installed package supports every Node version the package supports', async (t) => {
  const supported = manifest.engines.node
  t.ok(semver.satisfies(process.version, supported), `this Node (${process.version}) is supported: CI runs on it`)
  t.equal(lockfile.packages['']?.engines === undefined ? undefined : (lockfile.packages['']?.engines as { node?: string }).node, supported, 'the lockfile is in step with package.json')
  let checked = 0
  for (const [path, entry] of installed) {
    const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node
    if (wanted === undefined) continue
    checked++
    if (!semver.subset(supported, wanted)) t.fail(`${nameOf(path)}@${String(entry.version)} wants Node ${wanted}, not all of ${supported}`)
  }
  t.ok(checked > 100, `checked the engines of ${checked} packages`)
})

t.test('every install script is decided in allowScripts', async (t) => {
  const withScripts = installed.filter(([, entry]) => entry.hasInstallScript === true).map(([path]) => nameOf(path))
  t.ok(withScripts.includes('esbuild'), 'the scan finds them (esbuild has one)')
  for (const name of withScripts) t.type(manifest.allowScripts?.[name], 'boolean', `${name}: approved or denied`)
  // esbuild's postinstall only checks its binary (or downloads one): its platform package brings it.
  t.equal(manifest.allowScripts?.['esbuild'], false, 'nothing downloads a toolchain at install time')
})

t.test('the README names the supported Node versions', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const minimum = semver.minVersion(manifest.engines.node)
  t.match(readme, `Node ${String(minimum?.major)}.${String(minimum?.minor)}`, 'the oldest')
  t.match(readme, `\`${manifest.engines.node}\``, 'the range, as engines says it')
})

/** A script that runs package.json scripts as npm does, in a fraction of npm's start-up time. */
const fakeNpm = fileURLToPath(new URL('fixtures/npm-run.mjs', import.meta.url))

/** Runs node in `cwd`; the build it may start runs through npm itself (`realNpm`) or the stand-in. */
async function node (cwd: string, args: string[], realNpm = false): Promise<Finished> {
  return await finish([process.execPath, ...args], { cwd, env: uncoveredEnv({ PATH: process.env['PATH'], HOME: tmpdir(), ...realNpm ? {} : { npm_execpath: fakeNpm } }) })
}

/** A scratch project with the real scripts, a source file, and a build that writes dist/build.txt. */
function scratch (t: Test, build: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-build-state-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, 'scripts'))
  mkdirSync(join(dir, 'src'))
  for (const script of ['build-state.js', 'start.js']) copyFileSync(join(root, 'scripts', script), join(dir, 'scripts', script))
  writeFileSync(join(dir, 'src', 'a.ts'), 'a')
  writeFileSync(join(dir, 'src', 'b.ts'), 'b')
  const steps = ['node scripts/build-state.js begin', ...build, 'node scripts/build-state.js done']
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', type: 'module', scripts: { build: steps.join(' && ') } }))
  // Stands for the bundled server: says what it was started with.
  mkdirSync(join(dir, 'dist'))
  writeFileSync(join(dir, 'dist', 'server.js'), 'console.log(JSON.stringify(process.argv.slice(2)))\n')
  return dir
}

const writeBuild = 'node -e "require(\'fs\').appendFileSync(\'dist/build.txt\', \'built\\n\')"'
const builds = (dir: string) => existsSync(join(dir, 'dist', 'build.txt')) ? readFileSync(join(dir, 'dist', 'build.txt'), 'utf8').split('\n').filter(Boolean).length : 0
/** Dates a path after the last build's stamp: no waiting on the wall clock. */
const touchAfterStamp = (dir: string, path: string) => {
  const later = new Date(statSync(join(dir, 'dist', '.build-stamp')).mtimeMs + 1000)
  utimesSync(join(dir, path), later, later)
}

t.test('ensure builds when there is no build, then only after a change', async (t) => {
  const dir = scratch(t, [writeBuild])
  const first = await node(dir, ['scripts/build-state.js', 'ensure'], true)
  t.equal(first.code, 0, 'built by `npm run build`')
  t.match(first.stderr, /^tripo-mock: building \(no complete build yet\)\n/)
  t.equal(first.stdout, '', 'the build talks on stderr: stdout is the server\'s')
  t.equal(builds(dir), 1)

  t.same(await node(dir, ['scripts/build-state.js', 'ensure']), { code: 0, stdout: '', stderr: '' }, 'nothing changed: no build, no word')
  t.equal(builds(dir), 1)

  touchAfterStamp(dir, 'src/a.ts')
  t.match((await node(dir, ['scripts/build-state.js', 'ensure'])).stderr, /^tripo-mock: building \(src\/a\.ts changed since the last build\)\n/)
  t.equal(builds(dir), 2, 'an edited source')

  rmSync(join(dir, 'src', 'b.ts'))
  touchAfterStamp(dir, 'src')
  t.match((await node(dir, ['scripts/build-state.js', 'ensure'])).stderr, /\(src changed since the last build\)/, 'a deleted source: its folder changed')
  t.equal(builds(dir), 3)

  touchAfterStamp(dir, 'package.json')
  t.match((await node(dir, ['scripts/build-state.js', 'ensure'])).stderr, /\(package\.json changed/)
  t.equal(builds(dir), 4)
})

t.test('a source saved while the build runs makes the next start build again', async (t) => {
  // Between begin and done: a source dated a moment after the build began.
  const editDuringBuild = 'node -e "const f=require(\'fs\'); const t=new Date(f.statSync(\'dist/.build-begun\').mtimeMs + 1); f.utimesSync(\'src/a.ts\', t, t)"'
  const dir = scratch(t, [writeBuild, editDuringBuild])
  t.equal((await node(dir, ['scripts/build-state.js', 'ensure'])).code, 0)
  t.match((await node(dir, ['scripts/build-state.js', 'ensure'])).stderr, /\(src\/a\.ts changed since the last build\)/, 'the stamp is dated when the build began')
})

t.test('a failed build says so, exits 1, and leaves no stamp behind', async (t) => {
  const dir = scratch(t, [writeBuild])
  t.equal((await node(dir, ['scripts/build-state.js', 'ensure'])).code, 0)
  const failing = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: { build: string } }
  failing.scripts.build = failing.scripts.build.replace(' && node scripts/build-state.js done', ' && node -e "process.exit(3)"')
  writeFileSync(join(dir, 'package.json'), JSON.stringify(failing))
  const failed = await node(dir, ['scripts/build-state.js', 'ensure'])
  t.equal(failed.code, 1)
  t.match(failed.stderr, /tripo-mock: the build failed; `npm install` first\?\n$/)
  t.notOk(existsSync(join(dir, 'dist', '.build-stamp')), 'no stamp vouches for a half-made dist/')

  const start = await node(dir, ['scripts/start.js', '--port', '1'])
  t.equal(start.code, 2, 'npm start does not run what the failed build left')
  t.equal(start.stdout, '')
})

t.test('npm start runs the server in its own process, with its arguments', async (t) => {
  const dir = scratch(t, [writeBuild])
  const started = await node(dir, ['scripts/start.js', '--port', '9000', 'validate'])
  t.equal(started.code, 0)
  t.equal(started.stdout, '["--port","9000","validate"]\n')
  t.equal(builds(dir), 1)
  t.same(await node(dir, ['scripts/start.js']), { code: 0, stdout: '[]\n', stderr: '' }, 'up to date: straight to the server')
  t.equal(builds(dir), 1)
})

t.test('an installed package (no sources) is never built; a wrong step is refused', async (t) => {
  const dir = scratch(t, [writeBuild])
  rmSync(join(dir, 'src'), { recursive: true })
  t.same(await node(dir, ['scripts/build-state.js', 'ensure']), { code: 0, stdout: '', stderr: '' })
  t.equal(builds(dir), 0)
  t.same(await node(dir, ['scripts/build-state.js', 'sometime']), { code: 2, stdout: '', stderr: 'usage: node scripts/build-state.js begin|done|ensure\n' })
})

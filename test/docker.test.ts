/**
 * The Docker image and the Compose example, without a Docker engine: the Dockerfile and
 * docker-compose.yml keep their rules, and what they run is run here exactly as spelled, from the
 * repository root against the built `dist/` (or from a folder holding only what the final stage
 * copies), with the image's ENV applied (but a free port):
 * - the image's command (ENTRYPOINT, with the arguments `docker run` appends): it starts, takes
 *   flags, validates a scenario folder, drains on SIGTERM and exits 0, with requests in flight and
 *   with connections hostile clients left open;
 * - its health check: fails before the server is up, passes once it is ready, follows the port;
 * - the Compose app and its health check, against the emulator: the app stays up, as `docker
 *   compose up --wait` needs of every service.
 * Needs `npm run build` first (npm test makes sure of it).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, get as httpGet, type IncomingMessage } from 'node:http'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { load as parseYaml } from 'js-yaml'
import { ConfigSchema } from '../src/infra/config.ts'
import { DRAIN_DEADLINE_MS } from '../src/infra/drain.ts'
import { envPairs, execForm, healthcheck, instructionsOf, parseDockerfile, type Stage } from './fixtures/dockerfile.ts'
import { finish } from './fixtures/finish.ts'
import { freePort } from './fixtures/free-port.ts'
import { openHostileConnections } from './fixtures/hostile-requests.ts'
import { LogLines } from './fixtures/log-lines.ts'
import { uncoveredEnv } from './fixtures/uncovered.ts'

// Each case starts node processes on a busy two-core machine.
t.setTimeout(300_000)

const root = fileURLToPath(new URL('..', import.meta.url))
const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'))
const final = stages.at(-1) as Stage
const imageEnv = Object.assign({}, ...instructionsOf(final, 'ENV').map((instruction) => envPairs(instruction.args))) as Record<string, string>
const entrypoint = execForm(instructionsOf(final, 'ENTRYPOINT').at(-1)?.args ?? '[]')
const defaultArgs = execForm(instructionsOf(final, 'CMD').at(-1)?.args ?? '[]')
/** What `docker run tripo-mock [args...]` runs: the ENTRYPOINT, then the arguments or else CMD. */
const imageCommand = (args?: string[]) => [...entrypoint, ...args ?? defaultArgs]
const health = healthcheck(instructionsOf(final, 'HEALTHCHECK').at(-1)?.args ?? '')
const healthCommand = health.command
const DEFAULT_PORT = (ConfigSchema.properties.port as unknown as { default: number }).default
/** What Docker and Compose give a container between SIGTERM and SIGKILL, unless told otherwise. */
const DOCKER_STOP_GRACE_MS = 10_000

interface ComposeService {
  build?: string
  image?: string
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  depends_on?: Record<string, { condition?: string }>
  healthcheck?: { test?: string[], start_interval?: string }
  stop_grace_period?: string
}
const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> }

/** The container's environment: the image's ENV, what the test sets, and a PATH to find `node`. */
function containerEnv (extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: tmpdir(), ...imageEnv }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

interface Started {
  readonly child: ChildProcess
  /** JSON log lines so far. */
  readonly lines: Array<Record<string, unknown>>
  /** Resolves with the first log line (past or future) that satisfies `test`. */
  line (test: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  readonly exit: Promise<number | null>
  readonly stderr: () => string
}

/** Runs the image's command as spelled (with the arguments `docker run` would append), from `cwd`. */
function start (t: Test, env: NodeJS.ProcessEnv, cwd = root, args?: string[]): Started {
  const [command = '', ...rest] = imageCommand(args)
  const child = spawn(command, rest, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const logs = new LogLines()
  let partial = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    partial += String(chunk)
    const complete = partial.split('\n')
    partial = complete.pop() ?? ''
    for (const text of complete) logs.add(text)
  })
  child.stderr?.on('data', (chunk) => { stderr += String(chunk) })
  const exit = once(child, 'exit').then(([code]) => code as number | null)
  return {
    child,
    lines: logs.lines,
    line (test) {
      return Promise.race([
        logs.matching(test),
        exit.then((code) => { throw new Error(`exited (${String(code)}) before the log line: ${stderr}`) })
      ])
    },
    exit,
    stderr: () => stderr
  }
}

/** Runs a command to its end, from the repository root unless told. */
const finished = (command: string[], env: NodeJS.ProcessEnv, cwd = root) => finish(command, { cwd, env })

const isReadyLine = (line: Record<string, unknown>) => typeof line['docs'] === 'string'

/** Runs the image's HEALTHCHECK command as spelled; its exit code and what it wrote. */
async function probe (env: NodeJS.ProcessEnv, cwd = root): Promise<{ code: number | null, stderr: string }> {
  const { code, stderr } = await finished(healthCommand, env, cwd)
  return { code, stderr }
}

/** Compose durations (`1m30s`, `500ms`) in milliseconds. */
function composeDuration (text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 }
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) total += Number(amount) * (units[unit as string] as number)
  return total
}

t.test('the Dockerfile keeps its rules', async (t) => {
  t.ok(stages.length >= 2, 'multi-stage')
  for (const stage of stages) t.match(stage.from, /^node:(\d*[02468])(?:[.-][\w.-]+)?$/, `${stage.from}: an official Node image of an LTS line (even major)`)
  const buildStage = stages.find((stage) => stage.name === 'build')
  t.ok(buildStage !== undefined && instructionsOf(buildStage, 'RUN').some((run) => run.args.includes('npm run build')), 'a build stage compiles')
  t.ok(buildStage !== undefined && instructionsOf(buildStage, 'RUN').some((run) => /npm ci .*--ignore-scripts/.test(run.args)), 'its install runs no scripts (prepare would build before the sources are copied)')
  const buildInputs = buildStage === undefined ? [] : instructionsOf(buildStage, 'COPY').flatMap((copy) => copy.args.split(/\s+/).slice(0, -1))
  for (const needed of ['tsconfig.build.json', 'src', 'scripts/bundle.ts', 'scripts/build-state.js']) t.ok(buildInputs.includes(needed), `the build stage copies ${needed}, which npm run build reads`)
  // Its one command makes the snapshot folder a Compose volume mounts (owned by the user it runs as).
  t.same(instructionsOf(final, 'RUN').map((run) => run.args), ['mkdir /data && chown node:node /data'], 'the final stage runs nothing else: no compiler, no npm install')

  const user = instructionsOf(final, 'USER').at(-1)?.args
  t.ok(user !== undefined && !['root', '0', '0:0'].includes(user), `runs as a non-root user (${String(user)})`)
  t.same(entrypoint, ['node', 'dist/server.js'], 'ENTRYPOINT runs node directly (SIGTERM reaches the server, not npm), so `docker run tripo-mock --clock manual` passes the flags on')
  t.same(defaultArgs, [], 'no CMD: without arguments, it starts')
  t.equal(healthCommand[0], 'node', 'HEALTHCHECK uses node')
  t.notMatch(healthCommand.join(' '), /curl|wget/)
  t.ok(composeDuration(health.options['start-interval'] ?? '0s') > 0 && composeDuration(health.options['start-interval'] ?? '0s') <= 1000, `probed every ${String(health.options['start-interval'])} while starting (a server ready in under a second is healthy as soon)`)
  t.ok(composeDuration(health.options['start-period'] ?? '0s') >= 5000, 'a start period long enough for a slow machine')
  t.ok(instructionsOf(final, 'EXPOSE').some((expose) => expose.args.split(/\s+/).includes(String(DEFAULT_PORT))), `EXPOSE ${DEFAULT_PORT}, the default port`)
  t.equal(imageEnv['TRIPO_MOCK_PORT'] ?? String(DEFAULT_PORT), String(DEFAULT_PORT), 'the image listens on the exposed port')
  t.ok(DRAIN_DEADLINE_MS < DOCKER_STOP_GRACE_MS - 1000, `the drain gives up after ${DRAIN_DEADLINE_MS} ms, well before Docker's SIGKILL at ${DOCKER_STOP_GRACE_MS} ms`)

  // What dist/server.js reads at run time: package.json (name, version), fixtures/, scenarios/ and states/ beside it, the docs' files.
  const copied = instructionsOf(final, 'COPY').map((copy) => copy.args)
  t.ok(copied.some((args) => /^--from=build \/app\/dist\/server\.js \/app\/dist\/healthcheck\.js \.\/dist\/$/.test(args)), 'the two bundles, from the build stage')
  t.ok(copied.some((args) => /^--from=build \/app\/dist\/swagger-ui \.\/dist\/swagger-ui$/.test(args)), 'the docs pages\' files, beside them')
  t.ok(copied.some((args) => /^--from=build \/app\/dist\/ui \.\/dist\/ui$/.test(args)), 'the dashboard, built')
  for (const needed of ['package.json', 'fixtures', 'scenarios', 'states']) t.ok(copied.some((args) => args.split(/\s+/).includes(needed)), `the final stage copies ${needed}`)
  t.notOk(copied.some((args) => args.includes('node_modules') || args.includes('package-lock.json')), 'and no dependencies: the bundles carry them')

  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim())
  t.ok(ignored.includes('node_modules') && ignored.includes('dist'), '.dockerignore keeps local builds out of the context')
  for (const needed of ['src', 'fixtures', 'scenarios', 'scripts', 'package.json', 'package-lock.json']) t.notOk(ignored.includes(needed), `.dockerignore keeps ${needed}`)
})

t.test('docker-compose.yml: every service stays up with a health check, or is waited for as completed', async (t) => {
  const services = Object.entries(compose.services)
  t.ok(services.length >= 2, 'the emulator and an app')
  const [mockName, mock] = services.find(([, service]) => service.build === '.') ?? []
  t.ok(mock, 'compose builds the emulator from this folder')
  const healthChecked = (name: string, service: ComposeService) => service.healthcheck?.test !== undefined || (name === mockName && healthCommand.length > 0)
  const completedFor = (name: string) => services.some(([, other]) => other.depends_on?.[name]?.condition === 'service_completed_successfully')
  for (const [name, service] of services) {
    t.ok(healthChecked(name, service) || completedFor(name), `${name}: a health check (or others wait for it to complete)`)
    if (service.image !== undefined) t.match(service.image, /^node:(\d*[02468])(?:[.-][\w.-]+)?$/, `${name}: an official Node image of an LTS line`)
    if (service.healthcheck?.test !== undefined) t.ok(composeDuration(service.healthcheck.start_interval ?? '0s') > 0, `${name}: probed often while it starts`)
    t.ok(composeDuration(service.stop_grace_period ?? '10s') > DRAIN_DEADLINE_MS, `${name}: stops within its grace period`)
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      t.ok(condition === 'service_healthy' || condition === 'service_completed_successfully', `${name} waits for ${dependency} to be healthy or done (${String(condition)})`)
      if (condition === 'service_healthy') t.ok(healthChecked(dependency, compose.services[dependency] as ComposeService), `${dependency} has the health check ${name} waits for`)
    }
  }
  t.ok(services.some(([, service]) => service.depends_on?.[mockName as string]?.condition === 'service_healthy'), 'an app waits for the emulator to be healthy')
})

/** The app's command and environment as Compose would give them, pointed at a local emulator. */
function composeApp (name: string, emulatorBase: string): { command: string[], env: NodeJS.ProcessEnv, health: string[] } {
  const service = compose.services[name] as ComposeService
  const emulator = Object.keys(compose.services).find((other) => compose.services[other]?.build === '.') as string
  // The service name resolves to the emulator inside the stack: here, to the local one.
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: tmpdir() }
  for (const [variable, value] of Object.entries(service.environment ?? {})) env[variable] = value.replace(new RegExp(`^http://${emulator}:${DEFAULT_PORT}`), emulatorBase)
  // Bind mounts: the container's paths are the repository's files.
  const mounts = (service.volumes ?? []).map((volume) => volume.split(':')).map(([host = '', inside = '']) => [inside, join(root, host)] as const)
  const local = (arg: string) => mounts.find(([inside]) => inside === arg)?.[1] ?? arg
  const [kind, ...health] = service.healthcheck?.test ?? []
  if (kind !== 'CMD') throw new Error(`${name}: a health check in exec form (CMD), not ${String(kind)}`)
  return { command: (service.command ?? []).map(local), env, health }
}

t.test('the Compose app runs against the emulator, stays up, is healthy, and stops on SIGTERM', async (t) => {
  const port = await freePort()
  const emulator = start(t, containerEnv({ TRIPO_MOCK_PORT: String(port), TRIPO_MOCK_DURATIONS: '{"text_to_model":{"queuedMs":0,"runningMs":300}}' }))
  await emulator.line(isReadyLine)
  const app = composeApp('app', `http://127.0.0.1:${port}`)
  t.equal(app.env['TRIPO_API_BASE'], `http://127.0.0.1:${port}/v3`, 'the app is given the emulator\'s API')
  t.same(await finished(app.health, app.env), { code: 0, stdout: '', stderr: '' }, 'its health check passes once the emulator is up')

  const [program = '', ...args] = app.command
  // An example, run as a user's container would: outside the suite's coverage.
  const child = spawn(program, args, { cwd: root, env: uncoveredEnv({ ...app.env, POLL_MS: '50' }), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let output = ''
  const downloaded = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += String(chunk)
      if (/downloaded \d+ bytes \(model\/gltf-binary\)/.test(output)) resolve()
    })
    child.on('exit', (code) => { reject(new Error(`the app exited (${String(code)}): ${output}`)) })
  })
  await downloaded
  t.match(output, /^created [0-9a-f-]{36}\n[0-9a-f-]{36}: (queued|running) \d+%\n[\s\S]*: success 100%\n.*downloaded \d+ bytes/, 'a task created, followed to its end, its model downloaded')
  t.equal(child.exitCode, null, 'and it keeps running: the next round')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'it stops at once on SIGTERM')

  emulator.child.kill('SIGTERM')
  t.equal(await emulator.exit, 0)
  t.equal((await finished(app.health, app.env)).code, 1, 'its health check fails without the emulator')
})

t.test('every package dist/ imports is a production dependency (the final stage installs no others)', async (t) => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const imported = new Set<string>()
  const builtins = new Set(builtinModules)
  for (const file of readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' })) {
    // The dashboard runs in the browser, bundled whole: it imports nothing from node_modules.
    if (!file.endsWith('.js') || file.startsWith('ui/')) continue
    const text = readFileSync(join(root, 'dist', file), 'utf8')
    for (const [, fromSpecifier, dynamicSpecifier] of text.matchAll(/(?:^|\s)(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
      const specifier = (fromSpecifier ?? dynamicSpecifier) as string
      if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue
      const parts = specifier.split('/')
      imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] as string)
    }
  }
  t.ok(imported.has('fastify'), 'the scan finds the imports')
  for (const name of imported) t.ok(name in manifest.dependencies, `${name} is in dependencies`)
})

t.test('the health check fails before the server is up, passes once it is ready, and follows the configured port', async (t) => {
  const port = String(await freePort())
  const before = await probe(containerEnv({ TRIPO_MOCK_PORT: port }))
  t.not(before.code, 0, 'nothing listens yet')
  t.match(before.stderr, /^unhealthy: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/)

  const server = start(t, containerEnv({ TRIPO_MOCK_PORT: port }))
  const ready = await server.line(isReadyLine)
  t.equal(ready['api'], `http://127.0.0.1:${port}/v3`, 'the image listens on every address (reachable on the loopback), at the configured port')
  t.same(await probe(containerEnv({ TRIPO_MOCK_PORT: port })), { code: 0, stderr: '' }, 'healthy once ready')

  const elsewhere = String(await freePort())
  t.not((await probe(containerEnv({ TRIPO_MOCK_PORT: elsewhere }))).code, 0, 'another port: unhealthy')
  const dir = mkdtempSync(join(tmpdir(), 'tripo-healthcheck-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'tripo-mock.yaml'), `port: ${port}\n`)
  t.equal((await probe(containerEnv({ TRIPO_MOCK_PORT: undefined, TRIPO_MOCK_CONFIG: join(dir, 'tripo-mock.yaml') }))).code, 0, 'the port of the TRIPO_MOCK_CONFIG file')
  t.same(await probe(containerEnv({ TRIPO_MOCK_PORT: 'eighty' })), { code: 1, stderr: 'unhealthy: invalid setting port (TRIPO_MOCK_PORT): must be integer\n' }, 'a bad setting: one line')

  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0)
  t.not((await probe(containerEnv({ TRIPO_MOCK_PORT: port }))).code, 0, 'unhealthy once stopped')
})

t.test('SIGTERM with requests in flight: they finish, then the process exits 0', async (t) => {
  const port = await freePort()
  const server = start(t, containerEnv({ TRIPO_MOCK_PORT: String(port) }))
  await server.line(isReadyLine)
  const base = `http://127.0.0.1:${port}`
  const addScenario = async (name: string, effect: unknown) => {
    const response = await fetch(`${base}/__mock/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, description: name, rules: [{ match: { operation: 'getBalance' }, effect }] }) })
    t.equal(response.status, 201, `scenario ${name} added`)
  }
  // On the real clock: an answer held back an hour, and a body dribbled over a second.
  await addScenario('held', { latency: { fixed: '1h' } })
  await addScenario('dribbled', { fault: { type: 'dribble', chunks: 4, duration: '1s' } })
  const balance = (scenario: string) => ({ authorization: 'Bearer tsk_docker_sigterm', 'x-tripo-mock-scenario': scenario })

  const held = fetch(`${base}/v2/openapi/user/balance`, { headers: balance('held') })
  await server.line((line) => line['msg'] === 'scenario rule fired' && line['scenario'] === 'held')
  // A client that keeps its connection open as long as the server lets it (Node's global agent
  // would drop it after 5 s): the exit must not wait for it.
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const dribbled = await new Promise<IncomingMessage>((resolve, reject) => {
    httpGet(`${base}/v2/openapi/user/balance`, { agent, headers: balance('dribbled') }, resolve).on('error', reject)
  })

  server.child.kill('SIGTERM')
  const heldAnswer = await held
  t.equal(heldAnswer.status, 200, 'the held request is answered')
  t.same(await heldAnswer.json(), { code: 0, data: { balance: 10000, frozen: 0 } })
  const chunks: Buffer[] = []
  for await (const chunk of dribbled) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  t.equal(body.length, Number(dribbled.headers['content-length']), 'the dribbled body arrives whole')
  t.same(JSON.parse(String(body)), { code: 0, data: { balance: 10000, frozen: 0 } })

  t.equal(await server.exit, 0, 'a clean exit')
  t.equal(server.stderr(), '')
  t.notOk(server.lines.some((line) => Number(line['level']) >= 50), 'no error logged')
})

t.test('SIGTERM after hostile traffic: connections clients leave open do not hold the exit', async (t) => {
  // Each of these held the process until the 10 s limit, which then exited 1.
  const port = await freePort()
  const server = start(t, containerEnv({ TRIPO_MOCK_PORT: String(port) }))
  await server.line(isReadyLine)
  const connections = await openHostileConnections(port)
  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0, 'a clean exit, not the drain limit\'s 1')
  for (const [kind, { closed }] of connections) {
    await closed
    t.pass(`${kind}: ended`)
  }
  t.notOk(server.lines.some((line) => Number(line['level']) >= 50), 'no error logged')
})

/** A folder holding exactly what the final stage copies (dist from the build output), no node_modules. */
function imageFolder (t: Test): string {
  const image = mkdtempSync(join(tmpdir(), 'tripo-image-'))
  t.teardown(() => { rmSync(image, { recursive: true, force: true }) })
  for (const copy of instructionsOf(final, 'COPY')) {
    const parts = copy.args.split(/\s+/).filter((part) => !part.startsWith('--'))
    const target = parts.pop() as string
    for (const source of parts) {
      // Docker's rules: several sources (or a target ending in /) go into the target folder by name.
      const into = parts.length > 1 || target.endsWith('/') ? join(image, target, basename(source)) : join(image, target)
      mkdirSync(join(into, '..'), { recursive: true })
      cpSync(source.startsWith('/app/') ? join(root, source.slice('/app/'.length)) : join(root, source), into, { recursive: true })
    }
  }
  return image
}

t.test('the final stage\'s files are all the image needs: it starts, answers, serves its docs and dashboard, checks its health', async (t) => {
  const image = imageFolder(t)
  t.notOk(readdirSync(image).includes('node_modules'), 'no node_modules')
  const port = await freePort()
  const env = containerEnv({ TRIPO_MOCK_PORT: String(port), TRIPO_MOCK_IMPORT: 'demo' })
  const server = start(t, env, image)
  await server.line(isReadyLine)
  const ready = await fetch(`http://127.0.0.1:${port}/__mock/ready`)
  t.same(await ready.json(), { ready: true, checks: [{ name: 'fixtures', ready: true }, { name: 'scenarios', ready: true }] }, 'fixtures and scenarios found')
  const balance = await fetch(`http://127.0.0.1:${port}/v2/openapi/user/balance`, { headers: { authorization: 'Bearer tsk_image' } })
  t.equal(balance.status, 200)
  for (const path of ['/docs/', '/docs/static/swagger-ui-bundle.js', '/__mock/docs/static/swagger-ui.css']) {
    t.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 200, `${path}: the docs' files beside the bundle`)
  }
  t.same(await probe(env, image), { code: 0, stderr: '' }, 'the health check runs from the image too')
  const page = await (await fetch(`http://127.0.0.1:${port}/__mock/ui/`)).text()
  const script = /src="(main-[\w-]+\.js)"/.exec(page)?.[1]
  t.ok(script, 'the dashboard is in the image')
  t.equal((await fetch(`http://127.0.0.1:${port}/__mock/ui/${script as string}`)).status, 200, 'with its script')
  const demo = await fetch(`http://127.0.0.1:${port}/__mock/tasks`, { headers: { 'x-tripo-mock-key': 'tsk_demo_qa' } })
  t.ok(((await demo.json()) as { tasks: unknown[] }).tasks.length > 0, 'the prepared states found: the demo loaded')
  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0)
})

t.test('docker run arguments: flags after the image name, and validate', async (t) => {
  const image = imageFolder(t)
  const port = await freePort()
  // docker run tripo-mock --clock manual --scenario task-failed
  const server = start(t, containerEnv({ TRIPO_MOCK_PORT: String(port) }), image, ['--clock', 'manual', '--scenario', 'task-failed'])
  await server.line(isReadyLine)
  t.match(await (await fetch(`http://127.0.0.1:${port}/__mock/clock`)).json(), { mode: 'manual' }, 'the flags apply')
  t.match(await (await fetch(`http://127.0.0.1:${port}/__mock/scenarios/task-failed`)).json(), { activeGlobally: true })
  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0)

  // docker run -v ./my-scenarios:/scenarios:ro tripo-mock validate /scenarios
  const scenarios = mkdtempSync(join(tmpdir(), 'tripo-image-scenarios-'))
  t.teardown(() => { rmSync(scenarios, { recursive: true, force: true }) })
  writeFileSync(join(scenarios, 'mine.yaml'), 'rules:\n  - effect: { error: 1000 }\n')
  const valid = await finished(imageCommand(['validate', scenarios]), containerEnv({}), image)
  t.equal(valid.code, 0)
  t.match(valid.stdout, new RegExp(`^built-in: \\d+ scenarios OK\n${scenarios}: 1 scenario OK\n$`))
  writeFileSync(join(scenarios, 'bad.yaml'), 'rules:\n  - effect: { error: 1 }\n')
  const invalid = await finished(imageCommand(['validate', scenarios]), containerEnv({}), image)
  t.equal(invalid.code, 1, 'a bad file: exit code 1')
  t.match(invalid.stderr, /bad\.yaml: rules\[0\]\.effect\.error: unknown error 1 /)
})

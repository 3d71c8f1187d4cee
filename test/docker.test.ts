/**
 * The Docker image, without a Docker engine: the Dockerfile keeps its rules, and its start command
 * (CMD) and health check (HEALTHCHECK ... CMD) are run exactly as spelled, from the repository root
 * against the built `dist/`, with the image's ENV applied (but a free port): the health check
 * fails before the server is up, passes once it is ready and follows the configured port; SIGTERM
 * with requests in flight lets them finish and the process exits 0, and so it does with connections
 * hostile clients left open. Needs `npm run build` first (npm test does).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { Agent, get as httpGet, type IncomingMessage } from 'node:http'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { load as parseYaml } from 'js-yaml'
import { ConfigSchema } from '../src/infra/config.ts'
import { envPairs, execForm, healthcheck, instructionsOf, parseDockerfile, type Stage } from './fixtures/dockerfile.ts'
import { freePort } from './fixtures/free-port.ts'
import { openHostileConnections } from './fixtures/hostile-requests.ts'
import { LogLines } from './fixtures/log-lines.ts'

// Each case starts node processes on a busy two-core machine.
t.setTimeout(300_000)

const root = fileURLToPath(new URL('..', import.meta.url))
const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'))
const final = stages.at(-1) as Stage
const imageEnv = Object.assign({}, ...instructionsOf(final, 'ENV').map((instruction) => envPairs(instruction.args))) as Record<string, string>
const startCommand = execForm(instructionsOf(final, 'CMD').at(-1)?.args ?? '')
const healthCommand = healthcheck(instructionsOf(final, 'HEALTHCHECK').at(-1)?.args ?? '').command
const DEFAULT_PORT = (ConfigSchema.properties.port as unknown as { default: number }).default

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

/** Runs the image's CMD as spelled, from `cwd`. */
function start (t: Test, env: NodeJS.ProcessEnv, cwd = root): Started {
  const [command = '', ...args] = startCommand
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
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

const isReadyLine = (line: Record<string, unknown>) => typeof line['docs'] === 'string'

/** Runs the image's HEALTHCHECK command as spelled; its exit code and what it wrote. */
async function probe (env: NodeJS.ProcessEnv): Promise<{ code: number | null, stderr: string }> {
  const [command = '', ...args] = healthCommand
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stderr }
}

t.test('the Dockerfile keeps its rules', async (t) => {
  t.ok(stages.length >= 2, 'multi-stage')
  for (const stage of stages) t.match(stage.from, /^node:(\d*[02468])(?:[.-][\w.-]+)?$/, `${stage.from}: an official Node image of an LTS line (even major)`)
  t.ok(stages.slice(0, -1).some((stage) => stage.name === 'build' && instructionsOf(stage, 'RUN').some((run) => run.args.includes('npm run build'))), 'a build stage compiles')
  t.notOk(instructionsOf(final, 'RUN').some((run) => run.args.includes('npm run build')), 'the final stage does not compile')
  const buildStage = stages.find((stage) => stage.name === 'build')
  const buildInputs = buildStage === undefined ? [] : instructionsOf(buildStage, 'COPY').flatMap((copy) => copy.args.split(/\s+/).slice(0, -1))
  for (const needed of ['tsconfig.build.json', 'src', 'scripts/bundle.ts']) t.ok(buildInputs.includes(needed), `the build stage copies ${needed}, which npm run build reads`)

  const user = instructionsOf(final, 'USER').at(-1)?.args
  t.ok(user !== undefined && !['root', '0', '0:0'].includes(user), `runs as a non-root user (${String(user)})`)
  t.equal(startCommand[0], 'node', 'CMD runs node directly (SIGTERM reaches the server, not npm)')
  t.notOk(startCommand.includes('npm'))
  t.equal(instructionsOf(final, 'ENTRYPOINT').length, 0, 'no ENTRYPOINT wraps it')
  t.equal(healthCommand[0], 'node', 'HEALTHCHECK uses node')
  t.notMatch(healthCommand.join(' '), /curl|wget/)
  t.ok(instructionsOf(final, 'EXPOSE').some((expose) => expose.args.split(/\s+/).includes(String(DEFAULT_PORT))), `EXPOSE ${DEFAULT_PORT}, the default port`)
  t.equal(imageEnv['TRIPO_MOCK_PORT'] ?? String(DEFAULT_PORT), String(DEFAULT_PORT), 'the image listens on the exposed port')

  // What dist/ reads at run time: package.json (name, version), fixtures/, scenarios/ and states/ beside it.
  const copied = instructionsOf(final, 'COPY').map((copy) => copy.args)
  t.ok(copied.some((args) => /^--from=build \/app\/dist \.\/dist$/.test(args)), 'the compiled code, from the build stage')
  for (const needed of ['package.json', 'fixtures', 'scenarios', 'states']) t.ok(copied.some((args) => args.split(/\s+/).includes(needed)), `the final stage copies ${needed}`)

  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim())
  t.ok(ignored.includes('node_modules') && ignored.includes('dist'), '.dockerignore keeps local builds out of the context')
  for (const needed of ['src', 'fixtures', 'scenarios', 'package.json', 'package-lock.json']) t.notOk(ignored.includes(needed), `.dockerignore keeps ${needed}`)

  const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { build?: string, depends_on?: Record<string, { condition?: string }> }> }
  const [mockName] = Object.entries(compose.services).find(([, service]) => service.build === '.') ?? []
  t.ok(mockName, 'compose builds the emulator from this folder')
  t.ok(Object.values(compose.services).some((service) => service.depends_on?.[mockName as string]?.condition === 'service_healthy'), 'an app waits for it to be healthy')
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

t.test('the final stage\'s files are all the start needs', async (t) => {
  // What the final stage holds, beside node_modules: its COPY sources (dist from the build output).
  const image = mkdtempSync(join(tmpdir(), 'tripo-image-'))
  // Removes the node_modules link, never what it points to.
  t.teardown(() => { rmSync(image, { recursive: true, force: true }) })
  for (const copy of instructionsOf(final, 'COPY')) {
    const parts = copy.args.split(/\s+/).filter((part) => !part.startsWith('--'))
    const target = parts.pop() as string
    for (const source of parts) {
      // Docker's rules: several sources (or a target ending in /) go into the target folder by name.
      const into = parts.length > 1 || target.endsWith('/') ? join(image, target, basename(source)) : join(image, target)
      cpSync(source === '/app/dist' ? join(root, 'dist') : join(root, source), into, { recursive: true })
    }
  }
  symlinkSync(join(root, 'node_modules'), join(image, 'node_modules'), 'dir')
  const port = await freePort()
  const server = start(t, containerEnv({ TRIPO_MOCK_PORT: String(port), TRIPO_MOCK_IMPORT: 'demo' }), image)
  await server.line(isReadyLine)
  const ready = await fetch(`http://127.0.0.1:${port}/__mock/ready`)
  t.same(await ready.json(), { ready: true, checks: [{ name: 'fixtures', ready: true }, { name: 'scenarios', ready: true }] }, 'fixtures and scenarios found')
  const balance = await fetch(`http://127.0.0.1:${port}/v2/openapi/user/balance`, { headers: { authorization: 'Bearer tsk_image' } })
  t.equal(balance.status, 200)
  const page = await (await fetch(`http://127.0.0.1:${port}/__mock/ui/`)).text()
  const script = /src="(main-[\w-]+\.js)"/.exec(page)?.[1]
  t.ok(script, 'the dashboard is in the image')
  t.equal((await fetch(`http://127.0.0.1:${port}/__mock/ui/${script as string}`)).status, 200, 'with its script')
  const demo = await fetch(`http://127.0.0.1:${port}/__mock/tasks`, { headers: { 'x-tripo-mock-key': 'tsk_demo_qa' } })
  t.ok(((await demo.json()) as { tasks: unknown[] }).tasks.length > 0, 'the prepared states found: the demo loaded')
  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0)
})

/**
 * The process entry, as `npm start`, the `tripo-mock` command and the Docker image run it:
 * configured from flags, environment and file, listening, answering, stopping cleanly on SIGTERM;
 * --help, --version, `validate`; and a bad setting stops the start with one line.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PACKAGE_VERSION } from '../src/infra/package-info.ts'
import { freePort } from './fixtures/free-port.ts'

// Each case starts node processes that load the TypeScript sources: give the file time.
t.setTimeout(300_000)

const serverEntry = new URL('../src/server.ts', import.meta.url).pathname

function run (args: string[], env: Record<string, string> = {}) {
  // The test's own loader (tap's TypeScript import) runs the TypeScript entry, and covers it.
  const child = spawn(process.execPath, [...process.execArgv, serverEntry, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = stdout.split('\n').find((text) => text.includes('"docs"'))
      if (line !== undefined) resolve(JSON.parse(line) as Record<string, string>)
    })
    child.on('exit', () => reject(new Error(`exited early: ${stderr}`)))
  })
  ready.catch(() => undefined) // commands that never listen just exit
  const exit = once(child, 'exit').then(([code]) => code as number)
  return { child, ready, exit, output: () => ({ stdout, stderr }) }
}

t.test('starts from the environment, says where it listens, answers, exits 0 on SIGTERM', async (t) => {
  const server = run([], { TRIPO_MOCK_PORT: '0', TRIPO_MOCK_HOST: '127.0.0.1', TRIPO_MOCK_STARTING_CREDITS: '77' })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const ready = await server.ready
  t.match(ready['msg'], /^tripo-mock \S+ ready: API http:\/\/127\.0\.0\.1:\d+\/v3 \(V2, legacy: http:\/\/127\.0\.0\.1:\d+\/v2\/openapi\), docs http:\/\/127\.0\.0\.1:\d+\/docs, control plane http:\/\/127\.0\.0\.1:\d+\/__mock/)
  const base = String(ready['api']).replace('/v3', '')
  const response = await fetch(`${base}/v2/openapi/user/balance`, { headers: { authorization: 'Bearer tsk_server_test' } })
  t.equal(response.status, 200)
  t.match(response.headers.get('x-tripo-trace-id'), /^[0-9a-f-]{36}$/)
  t.same(await response.json(), { code: 0, data: { balance: 77, frozen: 0 } })
  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0)
  t.ok(server.output().stdout.split('\n').filter(Boolean).every((line) => line.startsWith('{')), 'logs are JSON lines when stdout is not a terminal')
})

t.test('flags beat the environment and the config file; short names work', async (t) => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'tripo-cli-'))
  const file = join(dir, 'tripo-mock.yaml')
  writeFileSync(file, 'startingCredits: 5\nclockMode: real\n')
  const server = run(['--port', String(port), '--host', '127.0.0.1', '--config', file, '--clock', 'manual', '--scenario', 'error-2010'], { TRIPO_MOCK_PORT: '1', TRIPO_MOCK_STARTING_CREDITS: '6' })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const ready = await server.ready
  t.equal(ready['api'], `http://127.0.0.1:${port}/v3`, 'on the given port')
  const balance = await fetch(`http://127.0.0.1:${port}/v2/openapi/user/balance`, { headers: { authorization: 'Bearer tsk_cli' } })
  t.same(await balance.json(), { code: 0, data: { balance: 6, frozen: 0 } }, 'environment over the file')
  const created = await fetch(`http://127.0.0.1:${port}/v2/openapi/task`, { method: 'POST', headers: { authorization: 'Bearer tsk_cli', 'content-type': 'application/json' }, body: '{"type":"text_to_image","prompt":"a"}' })
  t.equal((await created.json() as { code: number }).code, 2010, '--scenario activates a scenario globally')
  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0)
})

t.test('--help and --version', async (t) => {
  const help = run(['--help'])
  t.equal(await help.exit, 0)
  t.match(help.output().stdout, /^tripo-mock \S+: a local emulator of the Tripo 3D API\n/)
  t.match(help.output().stdout, /--starting-credits +Credits each API key starts with \(default 10000; env TRIPO_MOCK_STARTING_CREDITS\)/)
  const version = run(['-v'])
  t.equal(await version.exit, 0)
  t.equal(version.output().stdout, `${PACKAGE_VERSION}\n`)
})

t.test('validate: scenario files checked without starting', async (t) => {
  const good = mkdtempSync(join(tmpdir(), 'tripo-validate-'))
  writeFileSync(join(good, 'mine.yaml'), 'description: mine\nrules:\n  - effect: { error: 1000 }\n')
  const ok = run(['validate', good])
  t.equal(await ok.exit, 0)
  t.match(ok.output().stdout, /^built-in: \d+ scenarios OK\n.*: 1 scenarios OK\n$/)
  writeFileSync(join(good, 'bad.yaml'), 'description: bad\nrules:\n  - effect: { error: 1 }\n')
  const bad = run(['validate', good])
  t.equal(await bad.exit, 1)
  t.match(bad.output().stderr, /^tripo-mock: .*bad\.yaml: rules\[0\]\.effect\.error: unknown error 1 \(/)
})

t.test('a bad setting or argument stops the start with one clear line and exit code 2', async (t) => {
  const badEnv = run([], { TRIPO_MOCK_PORT: 'eighty' })
  t.equal(await badEnv.exit, 2)
  t.equal(badEnv.output().stderr, 'tripo-mock: invalid setting port (TRIPO_MOCK_PORT): must be integer\n')
  const badFlag = run(['--clock', 'sideways'])
  t.equal(await badFlag.exit, 2)
  t.equal(badFlag.output().stderr, 'tripo-mock: invalid setting clockMode (--clock-mode): must be equal to one of the allowed values (real, manual)\n')
  const unknown = run(['--bogus'])
  t.equal(await unknown.exit, 2)
  t.match(unknown.output().stderr, /^tripo-mock: Unknown option '--bogus'.* \(see --help\)\n$/)
  const command = run(['serve'])
  t.equal(await command.exit, 2)
  t.equal(command.output().stderr, 'tripo-mock: unknown command "serve" (see --help)\n')
  const busy = createServer().listen(0, '127.0.0.1')
  await once(busy, 'listening')
  t.teardown(() => { busy.close() })
  const taken = run(['--host', '127.0.0.1', '--port', String((busy.address() as { port: number }).port)])
  t.equal(await taken.exit, 2)
  t.match(taken.output().stderr, /^tripo-mock: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/, 'a port in use: one line too')
  const badFolder = mkdtempSync(join(tmpdir(), 'tripo-bad-scenarios-'))
  writeFileSync(join(badFolder, 'broken.yaml'), 'description: x\nrules: []\n')
  const badScenario = run([], { TRIPO_MOCK_SCENARIOS_DIR: badFolder })
  t.equal(await badScenario.exit, 2)
  t.match(badScenario.output().stderr, /^tripo-mock: .*broken\.yaml: rules: must NOT have fewer than 1 items\n$/)
  const scenario = run(['--scenario', 'nope'])
  t.equal(await scenario.exit, 2)
  t.equal(scenario.output().stderr, 'tripo-mock: invalid setting scenarios or scenarioKeys: unknown scenario "nope"\n')
})

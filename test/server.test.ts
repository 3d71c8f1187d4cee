/**
 * The process entry, as `npm start`, the `tripo-mock` command and the Docker image run it:
 * configured from flags, environment and file, listening, answering, stopping cleanly on SIGTERM;
 * --help, --version, `validate`; and a bad setting stops the start with one line.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
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
  t.match(ready['msg'], /^tripo-mock \S+ ready: API http:\/\/127\.0\.0\.1:\d+\/v3, API V2 \(legacy\) http:\/\/127\.0\.0\.1:\d+\/v2\/openapi, API docs http:\/\/127\.0\.0\.1:\d+\/docs, control plane http:\/\/127\.0\.0\.1:\d+\/__mock, control plane docs http:\/\/127\.0\.0\.1:\d+\/__mock\/docs, dashboard http:\/\/127\.0\.0\.1:\d+\/__mock\/ui$/)
  t.equal(ready['event'], 'ready', 'a record a script can wait for')
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

t.test('validate: every problem of every file, the files skipped, without starting', async (t) => {
  const good = mkdtempSync(join(tmpdir(), 'tripo-validate-'))
  writeFileSync(join(good, 'mine.yaml'), 'rules:\n  - effect: { error: 1000 }\n')
  writeFileSync(join(good, '.gitkeep'), '')
  const ok = run(['validate', good])
  t.equal(await ok.exit, 0)
  t.match(ok.output().stdout, new RegExp(`^built-in: \\d+ scenarios OK\n${good}: 1 scenario OK\n$`), 'a description is optional; hidden files go unnamed')
  t.equal(ok.output().stderr, '')

  writeFileSync(join(good, 'bad.yaml'), 'description: bad\nrules:\n  - effect: { error: 1 }\n  - times: 0\n    effect: { pass: true }\n')
  writeFileSync(join(good, 'worse.json'), '{')
  writeFileSync(join(good, 'task-failed.yaml'), 'rules:\n  - effect: { pass: true }\n')
  writeFileSync(join(good, 'notes.txt'), 'not a scenario')
  mkdirSync(join(good, 'drafts'))
  const elsewhere = mkdtempSync(join(tmpdir(), 'tripo-validate-other-'))
  writeFileSync(join(elsewhere, 'late.yaml'), 'rules:\n  - effect: { fate: { status: gone } }\n')
  const bad = run(['validate', good, join(good, 'missing'), elsewhere])
  t.equal(await bad.exit, 1)
  t.equal(bad.output().stdout, [
    'built-in: 48 scenarios OK',
    `${good}: 1 scenario OK, 3 refused, 2 entries skipped`,
    `  skipped ${good}/drafts/ (scenario files end in .yaml, .yml or .json)`,
    `  skipped ${good}/notes.txt (scenario files end in .yaml, .yml or .json)`,
    `${good}/missing: not read`,
    `${elsewhere}: 0 scenarios OK, 1 refused`,
    ''
  ].join('\n'))
  t.equal(bad.output().stderr, [
    `${good}/bad.yaml: rules[1].times: must be >= 1`,
    `${good}/bad.yaml: rules[0].effect.error: unknown error 1 (a catalogue key such as RATE_LIMITED, or a code such as 1007)`,
    `${good}/worse.json: not valid JSON: Expected property name or '}' in JSON at position 1`,
    `${good}/task-failed.yaml: the scenario name "task-failed" is taken by the built-in task-failed.yaml`,
    `cannot read the scenario folder ${good}/missing: no such folder`,
    `${elsewhere}/late.yaml: rules[0].effect.fate.status: must be one of success, failed, banned, expired, cancelled, unknown`,
    ''
  ].join('\n'), 'every problem of every file, one line each')
})

t.test('a bad setting or argument stops the start with one clear line and exit code 2', async (t) => {
  // Each message is tested where it is made (test/infra/cli.test.ts, config.test.ts): here, that
  // each kind reaches the terminal as one line with exit code 2.
  const refusal = async (args: string[], env: Record<string, string> = {}) => {
    const child = run(args, env)
    t.equal(await child.exit, 2, args.join(' '))
    return child.output().stderr
  }
  t.equal(await refusal([], { TRIPO_MOCK_PORT: 'eighty' }), 'tripo-mock: invalid setting port (TRIPO_MOCK_PORT): must be integer\n')
  t.equal(await refusal(['--port', '-1']), 'tripo-mock: invalid setting port (--port): must be >= 0\n', 'a negative number is a value, not an option')
  t.equal(await refusal(['--prot', '9000']), 'tripo-mock: unknown option --prot: did you mean --port? (see --help)\n', 'the closest known flag')

  const busy = createServer().listen(0, '127.0.0.1')
  await once(busy, 'listening')
  t.teardown(() => { busy.close() })
  t.match(await refusal(['--host', '127.0.0.1', '--port', String((busy.address() as { port: number }).port)]), /^tripo-mock: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/, 'a port in use: one line too')

  const badFolder = mkdtempSync(join(tmpdir(), 'tripo-bad-scenarios-'))
  writeFileSync(join(badFolder, 'broken.yaml'), 'description: x\nrules: []\n')
  writeFileSync(join(badFolder, 'worse.yaml'), 'rules: []\n')
  t.match(await refusal([], { TRIPO_MOCK_SCENARIOS_DIR: badFolder }), /^tripo-mock: .*broken\.yaml: rules: must NOT have fewer than 1 items \(and 1 more: tripo-mock validate lists them all\)\n$/)
  t.equal(await refusal(['--scenario', 'eror-1001']), 'tripo-mock: invalid setting scenarios (--scenario): unknown scenario "eror-1001"; did you mean "error-1001"?\n', 'the setting, the flag as typed, a guess')
})

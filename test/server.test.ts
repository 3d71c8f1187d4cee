/**
 * The process entry, as `npm start` runs it: configured from the environment, listening, answering,
 * and stopping cleanly on SIGTERM; a bad setting stops the start with one line.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'

const serverEntry = new URL('../src/server.ts', import.meta.url).pathname

function start (env: Record<string, string>) {
  // The test's own loader (tap's TypeScript import) runs the TypeScript entry, and covers it.
  const child = spawn(process.execPath, [...process.execArgv, serverEntry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.on('exit', () => reject(new Error(`exited early: ${stderr}`)))
  })
  return { child, listening, output: () => ({ stdout, stderr }) }
}

t.test('starts from the environment, answers, and exits 0 on SIGTERM', async (t) => {
  const server = start({ TRIPO_MOCK_PORT: '0', TRIPO_MOCK_HOST: '127.0.0.1', TRIPO_MOCK_STARTING_CREDITS: '77' })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const url = await server.listening
  const response = await fetch(`${url}/v2/openapi/user/balance`, { headers: { authorization: 'Bearer tsk_server_test' } })
  t.equal(response.status, 200)
  t.match(response.headers.get('x-tripo-trace-id'), /^[0-9a-f-]{36}$/)
  t.same(await response.json(), { code: 0, data: { balance: 77, frozen: 0 } })
  server.child.kill('SIGTERM')
  const [code] = await once(server.child, 'exit')
  t.equal(code, 0)
  t.ok(server.output().stdout.split('\n').filter(Boolean).every((line) => line.startsWith('{')), 'logs are JSON lines when stdout is not a terminal')
})

t.test('a bad setting stops the start with one clear line and exit code 2', async (t) => {
  const server = start({ TRIPO_MOCK_PORT: 'eighty' })
  server.listening.catch(() => undefined)
  const [code] = await once(server.child, 'exit')
  t.equal(code, 2)
  t.equal(server.output().stderr, 'tripo-mock: invalid setting port (TRIPO_MOCK_PORT): must be integer\n')
})

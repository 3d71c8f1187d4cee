/**
 * The package as a consumer project sees it: `import { startTripoMock } from 'tripo-mock'` finds
 * the built `dist/` through `exports`, type-checks against its declarations with tsc (NodeNext,
 * library files checked too), and runs with plain node. Needs `npm run build` first (npm test does).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'

// tsc over fastify's declarations and a node start, on a busy two-core machine.
t.setTimeout(300_000)

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
/** A plain environment: no test loader, no coverage hooks, as a user's shell would have. */
const plainEnv = { PATH: process.env['PATH'] ?? '', HOME: tmpdir() }

function run (args: string[], cwd: string): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: plainEnv }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
    })
  })
}

function consumerProject (t: Test, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-consumer-'))
  // Removes the link in node_modules, never what it points to.
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, 'node_modules'))
  // As `npm install tripo-mock` would place it (npm link makes the same symlink).
  symlinkSync(root, join(dir, 'node_modules', 'tripo-mock'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: false,
      outDir: 'out',
      typeRoots: [join(root, 'node_modules', '@types')],
      types: ['node']
    },
    include: ['*.ts']
  }))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const consumer = `import { ApiError, startTripoMock, type TaskView, type TripoMock } from 'tripo-mock'

const mock: TripoMock = await startTripoMock({ clockMode: 'manual', logger: false })
const key = 'tsk_consumer_project'
const created = await fetch(mock.apiUrl + '/generation/text-to-model', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' },
  body: JSON.stringify({ prompt: 'a lamp', model: 'v3.1-20260211' })
})
const body = await created.json() as { code: number, data: { task_id: string } }
mock.clock.advance('10m')
const tasks: TaskView[] = mock.tasks.list(key).tasks
let refusal = ''
try {
  mock.tasks.get('nope')
} catch (error) {
  if (error instanceof ApiError) refusal = error.key
}
console.log(JSON.stringify({ url: mock.url, code: body.code, status: tasks[0]?.status, refusal }))
await mock.close()
`

t.test('a consumer project type-checks against the declarations and runs the compiled import', async (t) => {
  // One tsc run for both files (it checks fastify's declarations too, which takes a while); it
  // still emits the good one.
  const dir = consumerProject(t, {
    'consumer.ts': consumer,
    'wrong.ts': "import { startTripoMock } from 'tripo-mock'\nawait startTripoMock({ clockMode: 'sundial' })\n"
  })
  const compiled = await run([tsc, '-p', 'tsconfig.json'], dir)
  const errors = compiled.stdout.split('\n').filter((line) => line.includes('error TS'))
  t.equal(errors.length, 1, `tsc: ${compiled.stdout}${compiled.stderr}`)
  t.match(errors[0], /^wrong\.ts\(2,\d+\): error TS2322: Type '"sundial"' is not assignable to type '"real" \| "manual"/, 'the declarations are real types: a wrong option does not compile')
  const ran = await run(['out/consumer.js'], dir)
  t.equal(ran.code, 0, ran.stderr)
  t.match(JSON.parse(ran.stdout), { url: /^http:\/\/127\.0\.0\.1:\d+$/, code: 0, status: 'success', refusal: 'MOCK_NOT_FOUND' })
})

t.test('plain node resolves the package by its name, and only through exports', async (t) => {
  const dir = consumerProject(t, {})
  writeFileSync(join(dir, 'probe.mjs'), [
    "const { startTripoMock } = await import('tripo-mock')",
    "const { version } = (await import('tripo-mock/package.json', { with: { type: 'json' } })).default",
    "const deep = await import('tripo-mock/dist/app.js').then(() => 'loaded', (error) => error.code)",
    'console.log(JSON.stringify({ start: typeof startTripoMock, version, deep }))'
  ].join('\n'))
  const ran = await run(['probe.mjs'], dir)
  t.equal(ran.code, 0, ran.stderr)
  t.match(JSON.parse(ran.stdout), { start: 'function', version: /^\d+\.\d+\.\d+/, deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
})

t.test('the package ships the built dashboard', async (t) => {
  const packed = await new Promise<string>((resolve, reject) => {
    execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }, (error, stdout) => { if (error === null) resolve(stdout); else reject(error) })
  })
  const [manifest] = JSON.parse(packed) as Array<{ files: Array<{ path: string }> }>
  const paths = (manifest?.files ?? []).map((file) => file.path)
  t.ok(paths.includes('dist/ui/index.html'), 'the page')
  t.ok(paths.some((path) => /^dist\/ui\/main-[\w-]+\.js$/.test(path)), 'its script')
  t.ok(paths.some((path) => /^dist\/ui\/model-preview-[\w-]+\.js$/.test(path)), 'the 3D preview')
  t.notOk(paths.some((path) => path.startsWith('src/')), 'not its sources')
})

/**
 * The second half of `npm run build`. First the dashboard (src/ui → dist/ui): one page for the
 * browser, its script and styles named by their hash, three.js in a chunk of its own that loads
 * only for a 3D preview, and index.html pointing at them; no CDN, nothing fetched at run time.
 *
 * Then it replaces the two process entries tsc wrote,
 * dist/server.js and dist/healthcheck.js, by single-file bundles of themselves and their
 * dependencies. Loading ~1,000 small modules is most of a cold start (a profile showed ~60% of
 * it); one file starts in well under half the time. The library entry (dist/index.js, for
 * `startTripoMock`) stays as tsc wrote it, next to its type declarations.
 *
 * Also precompiled into the bundle: the scenario-file validator (Ajv's standalone code for the
 * same schema and options as src/domain/scenarios/file-validator.ts), which every start needs.
 *
 * Nothing is left outside: the two entries run with no node_modules at all (the Docker image has
 * none). Beside them, dist/swagger-ui/ gets @fastify/swagger-ui's static files, which the docs
 * pages serve (src/infra/docs-ui.ts looks there first). pino's transports (worker threads that
 * load pino's own files) would not survive bundling: the emulator uses none (its terminal log is
 * src/infra/pretty-log.ts, in process).
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { Ajv } from 'ajv'
import standalone from 'ajv/dist/standalone/index.js'
import { build, type Plugin } from 'esbuild'
import { SCENARIO_FILE_AJV_OPTIONS } from '../src/domain/scenarios/file-validator.ts'
import { ScenarioFileSchema } from '../src/domain/scenarios/model.ts'
import { SWAGGER_UI_FOLDER } from '../src/infra/docs-ui.ts'

// CommonJS: the default import is module.exports, which is the function and carries it as `default`.
const standaloneCode = standalone.default

function precompiledScenarioValidator (): Plugin {
  const ajv = new Ajv({ ...SCENARIO_FILE_AJV_OPTIONS, code: { ...SCENARIO_FILE_AJV_OPTIONS.code, source: true, esm: true } })
  ajv.addSchema(ScenarioFileSchema, 'scenario-file')
  const contents = standaloneCode(ajv, { validateScenarioFile: 'scenario-file' })
  return {
    name: 'precompiled-scenario-validator',
    setup (build) {
      build.onLoad({ filter: /[\\/]src[\\/]domain[\\/]scenarios[\\/]file-validator\.ts$/ }, () => ({ contents, loader: 'js', resolveDir: process.cwd() }))
    }
  }
}

const UI_OUT = 'dist/ui'

async function buildDashboard (): Promise<void> {
  rmSync(UI_OUT, { recursive: true, force: true })
  mkdirSync(UI_OUT, { recursive: true })
  const { metafile } = await build({
    entryPoints: { main: 'src/ui/main.tsx' },
    outdir: UI_OUT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox121', 'safari17'],
    tsconfig: 'src/ui/tsconfig.json',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    minify: true,
    metafile: true,
    logLevel: 'warning'
  })
  const [script, output] = Object.entries(metafile.outputs).find(([, each]) => each.entryPoint === 'src/ui/main.tsx') ?? []
  if (script === undefined || output?.cssBundle === undefined) throw new Error('the dashboard build made no entry script or styles')
  writeFileSync(`${UI_OUT}/index.html`, `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tripo-mock</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${basename(output.cssBundle)}">
<script type="module" src="${basename(script)}"></script>
</head>
<body><div id="app"></div></body>
</html>
`)
}

await buildDashboard()

await build({
  entryPoints: ['src/server.ts', 'src/healthcheck.ts'],
  outdir: 'dist',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [precompiledScenarioValidator()],
  // Bundled CommonJS modules call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  // Identifiers are kept as written (no minifyIdentifiers), so stack traces stay readable. Not
  // keepNames: it wraps every function created at run time, and halved the request rate.
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: 'warning'
})

const swaggerUiStatic = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static')
cpSync(swaggerUiStatic, join('dist', SWAGGER_UI_FOLDER), { recursive: true })

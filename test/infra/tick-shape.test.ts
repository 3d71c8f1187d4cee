/**
 * The retained tick (src/infra/tick-shape.ts): the process entry imports it first, it keeps a real
 * tick object on `process`, and a tick made after a full collection, with no tick pending, still
 * has the retained one's hidden class (which is what keeps nextTick on its optimised path).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { RETAINED_TICK } from '../../src/infra/tick-shape.ts'

t.setTimeout(120_000)

const moduleUrl = new URL('../../src/infra/tick-shape.ts', import.meta.url).href

t.test('the process entry imports it before any other module', async (t) => {
  const entry = readFileSync(new URL('../../src/server.ts', import.meta.url), 'utf8')
  const imports = [...entry.matchAll(/^import .*'([^']+)'$/gm)].map((match) => match[1])
  t.equal(imports[0], './infra/tick-shape.ts')
})

t.test('keeps one tick object on process, for good', async (t) => {
  const tick = (process as unknown as Record<symbol, { callback: unknown, args: unknown }>)[RETAINED_TICK]
  t.type(tick?.callback, 'function')
  t.equal(tick?.args, undefined)
  t.equal(Object.getOwnPropertySymbols(tick).length, 2, 'its async id and trigger id')
  const before = tick
  process.nextTick(() => {})
  t.equal((process as unknown as Record<symbol, unknown>)[RETAINED_TICK], before, 'later ticks do not replace it')
})

t.test('a tick made after a full collection keeps the retained hidden class', async (t) => {
  // %HaveSameMap needs --allow-natives-syntax, so it runs in a child of its own.
  const script = `
    import { createHook } from 'node:async_hooks'
    const { RETAINED_TICK } = await import(${JSON.stringify(moduleUrl)})
    const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)')
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
    globalThis.gc()
    let fresh
    const hook = createHook({ init (_id, type, _trigger, resource) { if (type === 'TickObject') fresh ??= resource } }).enable()
    process.nextTick(() => {})
    hook.disable()
    process.stdout.write(String(sameMap(process[RETAINED_TICK], fresh)))
  `
  const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', '--allow-natives-syntax', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const [code] = await once(child, 'exit')
  t.equal(code, 0, stderr)
  t.equal(stdout, 'true')
})

/**
 * Scenario files: validated against the schema, compiled, and refused with a message that names
 * the file, the rule and the field.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { compileScenario, ScenarioError } from '../../../src/domain/scenarios/compile.ts'
import { loadScenarioFolder, loadScenarios } from '../../../src/domain/scenarios/loader.ts'
import { BUILTIN_SCENARIOS_DIR } from '../../../src/services.ts'

const compile = (input: unknown) => compileScenario(input, { name: 'demo', origin: 'file', file: 'scenarios/demo.yaml' })
const refusal = (input: unknown): string => {
  try {
    compile(input)
    return 'accepted'
  } catch (error) {
    t.type(error, ScenarioError)
    return (error as Error).message
  }
}
const scenario = (rule: Record<string, unknown>) => ({ description: 'd', rules: [rule] })

t.test('a full scenario compiles', async (t) => {
  const compiled = compile({
    description: 'everything',
    rules: [
      { id: 'limit', match: { operation: 'createTask', taskType: ['text_to_model'], prompt: 'dragon', header: { 'X-Test': '/^a+$/' }, nth: { from: 2, every: 2 }, probability: 0.5 }, times: 2, effect: { error: 'GENERATION_LIMIT', retryAfter: 3, latency: { fixed: '250ms' } } },
      { match: { operation: 'getTask', nth: [1, 3] }, sequence: [{ fault: 'reset' }, { pass: true }, { fault: { type: 'truncate', bytes: 10 } }] },
      { once: true, effect: { fate: { status: 'failed', errorCode: 2018, atProgress: 60, queueFor: '1m', runFor: 30000, urlExpiresIn: '0s', downloads: { error: 1001, latency: { uniform: ['1s', '2s'] }, fault: 'dribble' } } } },
      { match: { operation: ['watchTask', 'watchAll'] }, effect: { fault: { type: 'drop', after: '3s' }, latency: { lognormal: { median: '100ms', sigma: 0.5 } } } },
      { match: { operation: 'download' }, effect: { error: 1007 } }
    ]
  })
  t.equal(compiled.name, 'demo')
  t.equal(compiled.origin, 'file')
  const [limit, sequence, fate, drop, download] = compiled.rules
  t.equal(limit?.id, 'demo/limit')
  t.match(limit?.effects[0], { error: 'GENERATION_LIMIT', retryAfter: 3, latency: { kind: 'fixed', ms: 250 } })
  t.equal(limit?.times, 2)
  t.ok(limit?.match.prompt?.test('A DRAGON'), 'prompt text is case-insensitive')
  t.ok(limit?.match.headers?.[0]?.[1].test('aaa'))
  t.same([1, 2, 3, 4, 5, 6].map((n) => limit?.match.nth?.(n)), [false, true, false, true, false, true])
  t.equal(sequence?.id, 'demo/1')
  t.equal(sequence?.sequence, true)
  t.same(sequence?.effects.map((effect) => effect.fault?.type ?? 'pass'), ['reset', 'pass', 'truncate'])
  t.same([1, 2, 3].map((n) => sequence?.match.nth?.(n)), [true, false, true])
  t.equal(fate?.times, 1)
  t.same(fate?.effects[0]?.fate, { status: 'failed', errorCode: 2018, atProgress: 60, queuedMs: 60000, runningMs: 30000 })
  t.match(fate?.effects[0]?.delivery, { urlExpiresIn: 0, downloads: { error: 'FATAL_ERROR', latency: { kind: 'uniform', low: 1000, high: 2000 }, fault: { type: 'dribble', chunks: 10, durationMs: 5000 } } })
  t.match(drop?.effects[0], { fault: { type: 'drop', afterMs: 3000 }, latency: { kind: 'lognormal', median: 100, sigma: 0.5, max: Infinity } })
  t.equal(download?.effects[0]?.error, 'RATE_LIMITED')
  const exact = compile(scenario({ match: { header: { 'x-a': 'b' }, nth: 2 }, effect: { pass: true } })).rules[0]
  t.ok(exact?.match.headers?.[0]?.[1].test('B'), 'header values match exactly, case-insensitively')
  t.notOk(exact?.match.headers?.[0]?.[1].test('bb'))
  t.same([1, 2, 3].map((n) => exact?.match.nth?.(n)), [false, true, false])
})

t.test('a malformed scenario is refused with file, rule and field', async (t) => {
  const at = 'scenarios/demo.yaml: '
  t.equal(refusal({ rules: [] }), `${at}rules: must NOT have fewer than 1 items`, 'a description is optional')
  t.equal(refusal({ description: '', rules: [{ effect: { pass: true } }] }), `${at}description: must NOT have fewer than 1 characters`, 'but not empty')
  t.equal(refusal({ description: 'd', rules: [] }), `${at}rules: must NOT have fewer than 1 items`)
  t.equal(refusal({ description: 'd', rules: [{ effect: { pass: true } }], extra: 1 }), `${at}unknown field "extra"`)
  t.equal(refusal(scenario({ effect: { error: 'RATE' } })), `${at}rules[0].effect.error: unknown error "RATE" (a catalogue key such as RATE_LIMITED, or a code such as 1007)`)
  t.equal(refusal(scenario({ effect: { error: 4242 } })), `${at}rules[0].effect.error: unknown error 4242 (a catalogue key such as RATE_LIMITED, or a code such as 1007)`)
  t.equal(refusal(scenario({ effect: { latency: { fixed: 'soon' } } })), `${at}rules[0].effect.latency.fixed: must be a duration (ms, or a string like 500ms, 2s, 1m)`)
  t.equal(refusal(scenario({ match: { operation: 'deleteTask' }, effect: { pass: true } })), `${at}rules[0].match.operation: must be an operation (createTask, getTask, listTasks, getBalance, getUsage, upload, stsToken, putObject, download, watchTask, watchAll, deliverWebhook) or a list of them`)
  t.equal(refusal(scenario({ effect: { fate: { status: 'done' } } })), `${at}rules[0].effect.fate.status: must be one of success, failed, banned, expired, cancelled, unknown`)
  t.equal(refusal(scenario({ effect: { fault: 'explode' } })), `${at}rules[0].effect.fault: must be a connection fault: reset, hang, malformed-json, truncate, dribble, drop, or {type, ...options}`)
  t.equal(refusal(scenario({ effect: { pass: true }, sequence: [{ pass: true }] })), `${at}rules[0]: needs exactly one of effect or sequence`)
  t.equal(refusal(scenario({ match: {} })), `${at}rules[0]: needs exactly one of effect or sequence`)
  t.equal(refusal(scenario({ times: 2, once: true, effect: { pass: true } })), `${at}rules[0].once: give times or once, not both`)
  t.equal(refusal(scenario({ effect: { error: 1000, fault: 'reset' } })), `${at}rules[0].effect.fault: an effect has one of error, fate, fault or pass (latency may join any)`)
  t.equal(refusal(scenario({ effect: { retryAfter: 1, pass: true } })), `${at}rules[0].effect.retryAfter: only with an error`)
  t.equal(refusal(scenario({ match: { operation: 'getTask' }, effect: { fate: { status: 'failed' } } })), `${at}rules[0].effect.fate: a fate is decided when a task is created (match.operation must include createTask)`)
  t.equal(refusal(scenario({ effect: { fate: { status: 'failed', atProgress: 5, stall: 'running' } } })), `${at}rules[0].effect.fate.stall: give one of atProgress, after or stall`)
  t.equal(refusal(scenario({ effect: { fault: 'drop' } })), `${at}rules[0].effect.fault: drop applies to watch operations only (match.operation: watchTask or watchAll)`)
  t.equal(refusal(scenario({ effect: { latency: { uniform: ['2s', '1s'] } } })), `${at}rules[0].effect.latency.uniform: [low, high] with low <= high`)
  t.equal(refusal(scenario({ match: { prompt: '/(/' }, effect: { pass: true } })), `${at}rules[0].match.prompt: error parsing regexp: missing closing ): \`(\` (patterns use RE2's syntax: no lookaround, no backreferences)`)
  t.equal(refusal(scenario({ sequence: [{ pass: true }, { error: 'NOPE' }] })), `${at}rules[0].sequence[1].error: unknown error "NOPE" (a catalogue key such as RATE_LIMITED, or a code such as 1007)`)
  t.equal(refusal({ description: 'd', rules: [{ id: 'a', effect: { pass: true } }, { id: 'a', effect: { pass: true } }] }), `${at}rules[1].id: "a" is used twice`)
  t.equal(refusal({ name: 'other', description: 'd', rules: [{ effect: { pass: true } }] }), `${at}name "other" must match the file name "demo"`)
  t.equal(refusal(scenario({ effect: { fate: { status: 'failed', downloads: { error: 'X' } } } })), `${at}rules[0].effect.fate.downloads.error: unknown error "X" (a catalogue key such as RATE_LIMITED, or a code such as 1007)`)
  t.equal(refusal(scenario({ effect: {} })), `${at}rules[0].effect: must NOT have fewer than 1 properties`)
  t.equal(refusal(scenario({ effect: { latency: { fixed: 1, uniform: [1, 2] } } })), `${at}rules[0].effect.latency: must NOT have more than 1 properties`)
  t.throws(() => compileScenario({ description: 'd', rules: [{ effect: { pass: true } }] }, { origin: 'adhoc' }), /^scenario: name: is required$/)
  t.equal(compileScenario({ name: 'x', description: 'd', rules: [{ effect: { pass: true } }] }, { origin: 'adhoc' }).name, 'x')
})

t.test('every problem of a scenario is found in one pass', async (t) => {
  const problems = (input: unknown): readonly string[] => {
    try {
      compile(input)
      return []
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error
      t.equal(error.message, error.problems.length === 1 ? error.problems[0] : `${error.problems[0] as string} (and ${error.problems.length - 1} more: tripo-mock validate lists them all)`, 'the message: the first, and how many more')
      return error.problems
    }
  }
  const at = 'scenarios/demo.yaml: '
  t.same(problems({
    name: 'other',
    rules: [
      { effect: { error: 'RATE' } },
      { effect: { latency: { fixed: 'soon' } }, colour: 'red' },
      { times: 2, once: true, match: { prompt: '/(/' }, effect: { pass: true } },
      { id: 'x', sequence: [{ error: 'NOPE' }, { fault: 'reset', pass: true }] },
      { id: 'x', effect: { pass: true }, sequence: [{ pass: true }] }
    ]
  }), [
    `${at}rules[1]: unknown field "colour"`,
    `${at}rules[1].effect.latency.fixed: must be a duration (ms, or a string like 500ms, 2s, 1m)`,
    `${at}name "other" must match the file name "demo"`,
    `${at}rules[0].effect.error: unknown error "RATE" (a catalogue key such as RATE_LIMITED, or a code such as 1007)`,
    `${at}rules[2].once: give times or once, not both`,
    `${at}rules[2].match.prompt: error parsing regexp: missing closing ): \`(\` (patterns use RE2's syntax: no lookaround, no backreferences)`,
    `${at}rules[3].sequence[0].error: unknown error "NOPE" (a catalogue key such as RATE_LIMITED, or a code such as 1007)`,
    `${at}rules[3].sequence[1].pass: an effect has one of error, fate, fault or pass (latency may join any)`,
    `${at}rules[4].id: "x" is used twice`,
    `${at}rules[4]: needs exactly one of effect or sequence`
  ], 'the shape first, then each rule whose shape is right')
  t.same(problems('just text'), [`${at}must be object`], 'not even an object')
  t.same(problems({ rules: [{ effect: { pass: true } }] }), [], 'a description is optional')
  t.equal(compile({ rules: [{ effect: { pass: true } }] }).description, '', 'and empty when not given')
})

t.test('folders load all or nothing, named after their files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-scenarios-'))
  writeFileSync(join(dir, 'a.yaml'), 'description: A\nrules:\n  - effect: { pass: true }\n')
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ description: 'B', rules: [{ effect: { error: 1000 } }] }))
  writeFileSync(join(dir, 'notes.txt'), 'ignored')
  t.same(loadScenarioFolder(dir, 'file').map((s) => s.name), ['a', 'b'])

  const bad = mkdtempSync(join(tmpdir(), 'tripo-scenarios-bad-'))
  writeFileSync(join(bad, 'good.yaml'), 'description: ok\nrules:\n  - effect: { pass: true }\n')
  writeFileSync(join(bad, 'z.yaml'), 'description: [\n')
  t.throws(() => loadScenarioFolder(bad, 'file'), /z\.yaml: not valid YAML: /)
  writeFileSync(join(bad, 'z.yaml'), 'description: ok\nrules:\n  - effect: { error: 99 }\n')
  t.throws(() => loadScenarioFolder(bad, 'file'), /z\.yaml: rules\[0\]\.effect\.error: unknown error 99/)
  writeFileSync(join(bad, 'z.yaml'), 'ok')
  writeFileSync(join(bad, 'y.json'), '{')
  t.throws(() => loadScenarioFolder(bad, 'file'), /y\.json: not valid JSON: /)
  t.throws(() => loadScenarioFolder(join(dir, 'missing'), 'file'), /^cannot read the scenario folder .*missing: no such folder$/)
  t.throws(() => loadScenarioFolder(join(dir, 'notes.txt'), 'file'), /^cannot read the scenario folder .*notes\.txt: not a folder$/)
  symlinkSync('loop', join(dir, 'loop'))
  t.throws(() => loadScenarioFolder(join(dir, 'loop'), 'file'), /^cannot read the scenario folder .*loop: ELOOP: /, 'any other reason, in the system\'s words')

  const clash = mkdtempSync(join(tmpdir(), 'tripo-scenarios-clash-'))
  mkdirSync(join(clash, 'sub'))
  writeFileSync(join(clash, 'task-failed.yaml'), 'description: mine\nrules:\n  - effect: { pass: true }\n')
  t.throws(() => loadScenarios(BUILTIN_SCENARIOS_DIR, clash), /^task-failed\.yaml: the scenario name "task-failed" is taken by the built-in task-failed\.yaml$/)
  const twice = mkdtempSync(join(tmpdir(), 'tripo-scenarios-twice-'))
  writeFileSync(join(twice, 'mine.yaml'), 'description: mine\nrules:\n  - effect: { pass: true }\n')
  writeFileSync(join(twice, 'mine.json'), '{"description":"mine too","rules":[{"effect":{"pass":true}}]}')
  t.throws(() => loadScenarios(BUILTIN_SCENARIOS_DIR, twice), /^mine\.yaml: the scenario name "mine" is taken by mine\.json$/, 'in one folder: both named by their name there')
  const builtins = loadScenarios(BUILTIN_SCENARIOS_DIR, '')
  t.same(loadScenarios(BUILTIN_SCENARIOS_DIR, dir).length, builtins.length + 2)
  t.ok(builtins.every((s) => s.origin === 'builtin'))
})

t.test('fates and call numbers in every form; plain fields keep Ajv\'s words', async (t) => {
  const fateOf = (fate: unknown) => compile(scenario({ effect: { fate } })).rules[0]?.effects[0]?.fate
  t.same(fateOf({ status: 'cancelled', after: '30s' }), { status: 'cancelled', afterMs: 30_000 })
  t.same(fateOf({ status: 'success', stall: 'queued' }), { status: 'success', stall: 'queued' })
  const nth = (value: unknown) => compile(scenario({ match: { nth: value }, effect: { pass: true } })).rules[0]?.match.nth
  t.same([1, 2, 3, 4].map((n) => nth({ every: 2 })?.(n)), [false, true, false, true])
  t.same([1, 2, 3, 4].map((n) => nth({ from: 3 })?.(n)), [false, false, true, true])
  t.equal(refusal({ description: 5, rules: [{ effect: { pass: true } }] }), 'scenarios/demo.yaml: description: must be a sentence saying what the scenario does (the control plane and the dashboard show it)')
  t.equal(refusal(scenario({ effect: { fate: { errorCode: 1 } } })), 'scenarios/demo.yaml: rules[0].effect.fate.status: is required')
  t.equal(refusal({ name: 'Bad Name', description: 'd', rules: [{ effect: { pass: true } }] }), 'scenarios/demo.yaml: name: must be a name of lowercase letters, digits and dashes (by default, and necessarily, the file name)')
  t.equal(refusal(scenario({ match: { probability: 2 }, effect: { pass: true } })), 'scenarios/demo.yaml: rules[0].match.probability: must be <= 1')
})

t.test('/regex/ matchers run on RE2 with the flags i, m, s and u; anything else is text to find', async (t) => {
  const promptOf = (prompt: string) => compile(scenario({ match: { prompt }, effect: { pass: true } })).rules[0]?.match.prompt
  t.ok(promptOf('/^DRAGON$/i')?.test('dragon'), 'i')
  t.ok(promptOf('/^b$/m')?.test('a\nb'), 'm')
  t.ok(promptOf('/a.b/s')?.test('a\nb'), 's')
  t.ok(promptOf('/\\x{e9}/u')?.test('caf\u00e9'), 'u changes nothing: RE2 matches code points')
  t.notOk(promptOf('/^(a+)+$/')?.test(`${'a'.repeat(100_000)}!`), 'a pattern that backtracks catastrophically elsewhere: linear here')
  t.ok(promptOf('//')?.test('a // b'), '"//" is text to find')
  t.ok(promptOf('/a/B')?.test('x /a/b y'), 'so is a "/a/B": not flags')
  t.equal(refusal(scenario({ match: { prompt: '/a/y' }, effect: { pass: true } })), 'scenarios/demo.yaml: rules[0].match.prompt: flag "y" is not supported (i, m, s, u)')
})

t.test('durations are at most 8760h, wherever they are', async (t) => {
  const tooLong = (effect: Record<string, unknown>) => refusal(scenario({ effect }))
  t.equal(tooLong({ latency: { fixed: '8761h' } }), 'scenarios/demo.yaml: rules[0].effect.latency.fixed: at most 8760h (a year); a task that never ends stalls instead')
  t.match(tooLong({ latency: { uniform: [0, 31_536_000_001] } }), /rules\[0\]\.effect\.latency\.uniform\[1\]: at most 8760h/)
  t.match(tooLong({ latency: { lognormal: { median: '1s', sigma: 1, max: '9000h' } } }), /effect\.latency\.lognormal\.max: at most/)
  t.match(tooLong({ latency: { lognormal: { median: '9000h', sigma: 1 } } }), /effect\.latency\.lognormal\.median: at most/)
  t.match(tooLong({ fate: { status: 'failed', after: '99999999999h' } }), /effect\.fate\.after: at most/)
  t.match(tooLong({ fate: { status: 'failed', queueFor: '9000h' } }), /effect\.fate\.queueFor: at most/)
  t.match(tooLong({ fate: { status: 'failed', runFor: '9000h' } }), /effect\.fate\.runFor: at most/)
  t.match(tooLong({ fate: { status: 'success', urlExpiresIn: '9000h' } }), /effect\.fate\.urlExpiresIn: at most/)
  t.match(tooLong({ fate: { status: 'success', downloads: { fault: { type: 'dribble', duration: '9000h' } } } }), /effect\.fate\.downloads\.fault\.duration: at most/)
  t.match(refusal(scenario({ match: { operation: 'watchTask' }, effect: { fault: { type: 'drop', after: '9000h' } } })), /effect\.fault\.after: at most/)
  t.equal(compile(scenario({ effect: { latency: { fixed: '8760h' } } })).rules[0]?.effects[0]?.latency?.kind, 'fixed', 'a year is fine')
})

t.test('webhook delivery effects compile; what a delivery cannot take is refused', async (t) => {
  const deliveries = { operation: 'deliverWebhook' }
  const compiled = compile({
    description: 'webhooks',
    rules: [
      { match: deliveries, effect: { webhook: { duplicate: true, signature: 'rotated', outOfOrder: '2m' }, latency: { fixed: '5s' } } },
      { match: deliveries, effect: { webhook: { outOfOrder: true } } },
      { match: deliveries, effect: { webhook: { drop: true } } },
      { match: { operation: ['getTask', 'deliverWebhook'] }, effect: { latency: { fixed: '1s' } } },
      { match: deliveries, effect: { pass: true } }
    ]
  })
  t.same(compiled.rules.map((rule) => rule.effects[0]?.webhook), [
    { duplicate: true, outOfOrderMs: 120_000, signature: 'rotated' },
    { outOfOrderMs: 60_000 },
    { drop: true },
    undefined,
    undefined
  ])
  const at = 'scenarios/demo.yaml: rules[0].effect.'
  t.equal(refusal(scenario({ effect: { webhook: { drop: true } } })), `${at}webhook: applies to webhook deliveries only (match.operation: deliverWebhook)`)
  t.equal(refusal(scenario({ match: { operation: ['getTask', 'deliverWebhook'] }, effect: { webhook: { duplicate: true } } })), `${at}webhook: applies to webhook deliveries only (match.operation: deliverWebhook)`)
  t.equal(refusal(scenario({ match: { operation: ['getTask', 'deliverWebhook'] }, effect: { error: 1001 } })), `${at}error: a webhook delivery (deliverWebhook) takes latency, webhook or pass`)
  t.equal(refusal(scenario({ match: { operation: 'deliverWebhook' }, effect: { fault: 'reset' } })), `${at}fault: a webhook delivery (deliverWebhook) takes latency, webhook or pass`)
  t.equal(refusal(scenario({ match: { operation: 'deliverWebhook' }, effect: { webhook: { duplicate: true }, pass: true } })), `${at}pass: an effect has webhook or pass, not both`)
  t.equal(refusal(scenario({ match: { operation: 'deliverWebhook' }, effect: { webhook: { drop: true, duplicate: true } } })), `${at}webhook.drop: a dropped delivery is never sent; drop goes alone`)
  t.equal(refusal(scenario({ match: { operation: 'deliverWebhook' }, effect: { webhook: { outOfOrder: false } } })), `${at}webhook.outOfOrder: must be true or a duration`)
  t.equal(refusal(scenario({ match: { operation: 'deliverWebhook' }, effect: { webhook: { signature: 'forged' } } })), `${at}webhook.signature: must be one of bad, stale, rotated`)
  t.equal(refusal(scenario({ match: { operation: 'deliverWebhook' }, effect: { webhook: {} } })), `${at}webhook: must NOT have fewer than 1 properties`)
  t.match(refusal(scenario({ match: { operation: 'deliverWebhook' }, effect: { webhook: { outOfOrder: '9000h' } } })), /effect\.webhook\.outOfOrder: at most 8760h/)
})

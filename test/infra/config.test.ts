import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CONFIG_KEYS, ConfigError, type ConfigKey, envName, flagName, loadConfig, settingSource } from '../../src/infra/config.ts'
import { CONCURRENCY_GROUPS } from '../../src/domain/task-types/index.ts'
import { createServices } from '../../src/services.ts'

const dir = mkdtempSync(join(tmpdir(), 'tripo-mock-config-'))
const file = (name: string, text: string): string => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

t.test('defaults: port 8080 on 0.0.0.0, real clock, 10000 credits', async (t) => {
  const config = loadConfig()
  t.match(config, { port: 8080, host: '0.0.0.0', clockMode: 'real', clockSpeed: 1, startingCredits: 10000, urlExpirySeconds: 300, apiKeys: [] })
  t.ok(Object.isFrozen(config))
  t.same(Object.keys(config).sort(), [...CONFIG_KEYS].sort(), 'every setting has a value')
})

t.test('names: env TRIPO_MOCK_* and --kebab-case flags', async (t) => {
  t.equal(envName('startingCredits'), 'TRIPO_MOCK_STARTING_CREDITS')
  t.equal(flagName('startingCredits'), '--starting-credits')
  t.equal(envName('port'), 'TRIPO_MOCK_PORT')
})

t.test('precedence: flag > env > file > default', async (t) => {
  const yaml = file('config.yaml', 'port: 7000\nhost: 127.0.0.1\nstartingCredits: 5\nclockMode: manual\n')
  const env = { TRIPO_MOCK_PORT: '7001', TRIPO_MOCK_HOST: '::', TRIPO_MOCK_IGNORED: 'x' }
  const config = loadConfig({ file: yaml, env, flags: { port: '7002' } })
  t.equal(config.port, 7002, 'flag wins')
  t.equal(config.host, '::', 'env over file')
  t.equal(config.startingCredits, 5, 'file over default')
  t.equal(config.clockMode, 'manual')
  t.equal(config.logLevel, 'info', 'default')
  t.equal(loadConfig({ env: { TRIPO_MOCK_PORT: '' } }).port, 8080, 'an empty variable is unset')
})

t.test('env strings become lists, maps and numbers', async (t) => {
  const config = loadConfig({
    env: {
      TRIPO_MOCK_API_KEYS: 'tsk_a, tsk_b,,',
      TRIPO_MOCK_CONCURRENCY_LIMITS: '{"model_generation":3}',
      TRIPO_MOCK_DURATIONS: '{"text_to_model":{"queuedMs":0,"runningMs":500}}',
      TRIPO_MOCK_CLOCK_SPEED: '2.5'
    }
  })
  t.same(config.apiKeys, ['tsk_a', 'tsk_b'])
  t.same(config.concurrencyLimits, { model_generation: 3 })
  t.same(config.durations, { text_to_model: { queuedMs: 0, runningMs: 500 } })
  t.equal(config.clockSpeed, 2.5)
})

t.test('a setting given as undefined is not given', async (t) => {
  t.equal(loadConfig({ overrides: { port: undefined as unknown as number }, env: { TRIPO_MOCK_PORT: '9' } }).port, 9)
})

t.test('JSON config files, and empty ones', async (t) => {
  t.equal(loadConfig({ file: file('c.json', '{"port": 9000}') }).port, 9000)
  t.equal(loadConfig({ file: file('empty.yaml', '') }).port, 8080)
})

const message = (sources: Parameters<typeof loadConfig>[0]): string => {
  try {
    loadConfig(sources)
    return 'no error'
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
  }
}

t.test('a bad value stops with one line naming the setting and where it came from', async (t) => {
  t.equal(message({ env: { TRIPO_MOCK_PORT: '99999' } }), 'invalid setting port (TRIPO_MOCK_PORT): must be <= 65535')
  t.equal(message({ flags: { clockMode: 'sometimes' } }), 'invalid setting clockMode (--clock-mode): must be one of real, manual')
  t.equal(message({ flags: { clockMode: 'manul' }, flagNames: { clockMode: '--clock' } }), 'invalid setting clockMode (--clock): must be one of real, manual; did you mean "manual"?', 'the flag as it was typed, and a guess')
  t.equal(message({ env: { TRIPO_MOCK_DURATIONS: '{oops' } }), 'invalid setting durations (TRIPO_MOCK_DURATIONS): not JSON (at position 1)')
  t.equal(message({ env: { TRIPO_MOCK_DURATIONS: 'secret' } }), 'invalid setting durations (TRIPO_MOCK_DURATIONS): not JSON', 'where, never what: the parser would quote the value')
  t.equal(message({ overrides: { clockSpeed: 0 } }), 'invalid setting clockSpeed (option): must be > 0')
  t.equal(message({ file: file('bad.yaml', 'portt: 1\n') }), `unknown setting "portt" (in ${join(dir, 'bad.yaml')}): did you mean "port"?`)
  t.equal(message({ file: file('bad3.yaml', 'colour: red\n') }), `unknown setting "colour" (in ${join(dir, 'bad3.yaml')})`, 'nothing close: no guess')
  t.match(message({ file: file('shadow', 'root:$6$salt$hash:20228:0:99999:7:::\n') }), /^unknown setting \(in .*shadow\)$/, 'a key no setting has the shape of: not repeated, nor guessed from')
  t.match(message({ file: file('nested.yaml', 'durations:\n  "root:secret": {}\n') }), /^invalid setting durations \(in .*nested\.yaml\): unknown key; known: text_to_model, /, 'nor inside a JSON setting')
  t.match(message({ file: file('bad2.yaml', 'port: [\n') }), /^config file .*bad2\.yaml is not valid YAML \(line 2, column 1\)$/)
  t.match(message({ file: file('bad.json', '{') }), /^config file .*bad\.json is not valid JSON$/)
  t.match(message({ file: file('list.yaml', '- 1\n') }), /must hold an object of settings/)
  t.match(message({ file: join(dir, 'missing.yaml') }), /^cannot read config file /)
  t.match(message({ overrides: { host: '' } }), /^invalid setting host \(option\): /)
})

t.test('a value inside a JSON setting is named by its path', async (t) => {
  t.equal(message({ flags: { durations: '{"text_to_model":{"queuedMs":-5}}' } }), 'invalid setting durations.text_to_model.queuedMs (--durations): must be >= 0')
  t.equal(message({ file: file('d.yaml', 'durations:\n  text_to_model: { runningMs: soon }\n') }), `invalid setting durations.text_to_model.runningMs (in ${join(dir, 'd.yaml')}): must be integer`)
  t.equal(message({ flags: { durations: '{"text_to_modle":{}}' } }), 'invalid setting durations.text_to_modle (--durations): unknown key; did you mean "text_to_model"?')
  t.equal(message({ flags: { durations: '{"text_to_model":{"queuedMS":1}}' } }), 'invalid setting durations.text_to_model.queuedMS (--durations): unknown key; did you mean "queuedMs"?')
  t.equal(message({ env: { TRIPO_MOCK_CONCURRENCY_LIMITS: '{"gpu":1}' } }), `invalid setting concurrencyLimits.gpu (TRIPO_MOCK_CONCURRENCY_LIMITS): unknown key; known: ${Object.keys(CONCURRENCY_GROUPS).join(', ')}`, 'nothing close: the keys it knows')
  t.equal(message({ overrides: { apiKeys: ['tsk_a', ''] } }), 'invalid setting apiKeys[1] (option): must NOT have fewer than 1 characters')
  t.equal(message({ overrides: { scenarioKeys: { tsk_secret_key_of_qa: ['a', ''] } } }), 'invalid setting scenarioKeys.tsk_secr…f_qa[1] (option): must NOT have fewer than 1 characters', 'an API key in the path is masked')
  t.equal(message({ overrides: { scenarioKeys: { 'a/b~c': [''] } } }), 'invalid setting scenarioKeys.a/b~…[0] (option): must NOT have fewer than 1 characters', 'JSON pointer escapes undone')
})

t.test('publicUrl must be an http or https base URL', async (t) => {
  for (const good of ['http://localhost:8080', 'https://tripo.example:8443/base/', 'http://[::1]:8080']) t.equal(loadConfig({ overrides: { publicUrl: good } }).publicUrl, good)
  t.equal(message({ env: { TRIPO_MOCK_PUBLIC_URL: 'localhost:8080' } }), 'invalid setting publicUrl (TRIPO_MOCK_PUBLIC_URL): "localhost:8080" is not an http or https URL (with its scheme, e.g. http://localhost:8080)', 'a value without a scheme')
  t.equal(message({ overrides: { publicUrl: 'tripo-mock' } }), 'invalid setting publicUrl (option): "tripo-mock" is not an http or https URL (with its scheme, e.g. http://tripo-mock)')
  t.equal(message({ overrides: { publicUrl: 'ftp://files.example' } }), 'invalid setting publicUrl (option): "ftp://files.example" is not an http or https URL (e.g. http://localhost:8080)')
  t.equal(message({ overrides: { publicUrl: 'http://a b' } }), 'invalid setting publicUrl (option): "http://a b" is not an http or https URL (e.g. http://localhost:8080)')
  for (const bad of ['http://user:pw@host', 'http://host/?a=1', 'http://host/#top']) {
    t.equal(message({ overrides: { publicUrl: bad } }), `invalid setting publicUrl (option): "${bad}" must be a base URL: no user, query or fragment`)
  }
})

t.test('scenariosDir must be a folder', async (t) => {
  t.equal(loadConfig({ overrides: { scenariosDir: dir } }).scenariosDir, dir)
  t.equal(message({ flags: { scenariosDir: join(dir, 'nope') } }), `invalid setting scenariosDir (--scenarios-dir): no folder ${join(dir, 'nope')}`)
  t.equal(message({ flags: { scenariosDir: file('plain.txt', 'x') } }), `invalid setting scenariosDir (--scenarios-dir): ${join(dir, 'plain.txt')} is a file, not a folder`)
  t.equal(message({ flags: { scenariosDir: `${file('plain2.txt', 'x')}/below` } }), `invalid setting scenariosDir (--scenarios-dir): cannot read ${join(dir, 'plain2.txt')}/below (ENOTDIR)`)
})

t.test('where each setting came from is remembered for later refusals', async (t) => {
  const config = loadConfig({ file: file('s.yaml', 'seed: 3\n'), env: { TRIPO_MOCK_PORT: '1' }, flags: { scenarios: 'a' }, flagNames: { scenarios: '--scenario' }, overrides: { clockSpeed: 2 } })
  t.same(['seed', 'port', 'scenarios', 'clockSpeed', 'host'].map((key) => settingSource(config, key as ConfigKey)), [`in ${join(dir, 's.yaml')}`, 'TRIPO_MOCK_PORT', '--scenario', 'option', 'default'])
  t.equal(settingSource({ ...config }, 'port'), 'default', 'a configuration not made by loadConfig')
})

t.test('an unknown scenario names the setting and where it came from', async (t) => {
  const refusal = (sources: Parameters<typeof loadConfig>[0]): string => {
    try {
      createServices(loadConfig(sources))
      return 'accepted'
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      return error.message
    }
  }
  t.equal(refusal({ flags: { scenarios: 'nope' }, flagNames: { scenarios: '--scenario' } }), 'invalid setting scenarios (--scenario): unknown scenario "nope"; the scenarios are the built-in ones')
  t.equal(refusal({ env: { TRIPO_MOCK_SCENARIOS: 'error-1000,eror-1001' } }), 'invalid setting scenarios (TRIPO_MOCK_SCENARIOS): unknown scenario "eror-1001"; did you mean "error-1001"?')
  const mine = mkdtempSync(join(tmpdir(), 'tripo-mock-config-scenarios-'))
  t.equal(refusal({ overrides: { scenariosDir: mine, scenarioKeys: { tsk_secret_key_of_qa: ['nope'] } } }), `invalid setting scenarioKeys.tsk_secr…f_qa (option): unknown scenario "nope"; the scenarios are the built-in ones and those of ${mine}`, 'the key masked')
  t.equal(refusal({ overrides: { scenarios: ['error-1000'], scenarioKeys: { tsk_qa_key: ['flaky-network'] } } }), 'accepted')
})

t.test('webhooks: a JSON list from the environment; the retry schedule a list of durations', async (t) => {
  const config = loadConfig({
    env: {
      TRIPO_MOCK_WEBHOOKS: '[{"url":"http://receiver:3000/hooks","secret":"whsec_abc","events":["task.failed"]},{"url":"https://example.test/x"}]',
      TRIPO_MOCK_WEBHOOK_RETRY_SCHEDULE: '0s, 1s,1m'
    }
  })
  t.same(config.webhooks, [{ url: 'http://receiver:3000/hooks', secret: 'whsec_abc', events: ['task.failed'] }, { url: 'https://example.test/x' }])
  t.same(config.webhookRetrySchedule, ['0s', '1s', '1m'])
  t.same(loadConfig().webhookRetrySchedule, ['0s', '5s', '5m', '30m', '2h', '5h', '10h', '10h'], 'by default: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h')
  t.same(loadConfig({ flags: { webhooks: '[{"url":"http://a/b"}]' } }).webhooks, [{ url: 'http://a/b' }], 'a flag too')
  const refused = (env: Record<string, string>) => t.throws(() => loadConfig({ env }), ConfigError)
  refused({ TRIPO_MOCK_WEBHOOKS: 'http://receiver/hooks' })
  refused({ TRIPO_MOCK_WEBHOOKS: '[{"url":"ftp://receiver/hooks"}]' })
  refused({ TRIPO_MOCK_WEBHOOKS: '[{"url":"http://receiver/hooks","secret":"abc"}]' })
  refused({ TRIPO_MOCK_WEBHOOKS: '[{"url":"http://receiver/hooks","events":["task.started"]}]' })
  refused({ TRIPO_MOCK_WEBHOOK_RETRY_SCHEDULE: '0,5' })
})

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CONFIG_KEYS, ConfigError, envName, flagName, loadConfig } from '../../src/infra/config.ts'

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

t.test('a bad value stops with one line naming the setting and where it came from', async (t) => {
  const message = (sources: Parameters<typeof loadConfig>[0]): string => {
    try {
      loadConfig(sources)
      return 'no error'
    } catch (error) {
      t.type(error, ConfigError)
      return (error as Error).message
    }
  }
  t.equal(message({ env: { TRIPO_MOCK_PORT: '99999' } }), 'invalid setting port (TRIPO_MOCK_PORT): must be <= 65535')
  t.equal(message({ flags: { clockMode: 'sometimes' } }), 'invalid setting clockMode (--clock-mode): must be equal to one of the allowed values (real, manual)')
  t.equal(message({ env: { TRIPO_MOCK_CONCURRENCY_LIMITS: '{"gpu":1}' } }), 'invalid setting concurrencyLimits (TRIPO_MOCK_CONCURRENCY_LIMITS): must NOT have additional properties ("gpu")')
  t.equal(message({ env: { TRIPO_MOCK_DURATIONS: '{oops' } }), 'invalid setting durations (TRIPO_MOCK_DURATIONS): must be JSON')
  t.equal(message({ overrides: { clockSpeed: 0 } }), 'invalid setting clockSpeed (option): must be > 0')
  t.match(message({ file: file('bad.yaml', 'portt: 1\n') }), /^unknown setting "portt" \(in .*bad\.yaml\)$/)
  t.match(message({ file: file('shadow', 'root:$6$salt$hash:20228:0:99999:7:::\n') }), /^unknown setting \(in .*shadow\)$/, 'a key no setting has the shape of: not repeated')
  t.match(message({ file: file('nested.yaml', 'durations:\n  "root:secret": {}\n') }), /^invalid setting durations \(in .*nested\.yaml\): must NOT have additional properties$/)
  t.match(message({ file: file('bad2.yaml', 'port: [\n') }), /^config file .*bad2\.yaml is not valid YAML \(line 2, column 1\)$/)
  t.match(message({ file: file('bad.json', '{') }), /^config file .*bad\.json is not valid JSON$/)
  t.match(message({ file: file('list.yaml', '- 1\n') }), /must hold an object of settings/)
  t.match(message({ file: join(dir, 'missing.yaml') }), /^cannot read config file /)
  t.match(message({ overrides: { host: '' } }), /^invalid setting host \(option\): /)
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

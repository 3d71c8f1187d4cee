/**
 * The command line, parsed without starting anything (the processes are tested in server.test.ts).
 */
import t from 'tap'
import { ConfigError } from '../../src/infra/config.ts'
import { helpText, parseCommandLine, SETTINGS_TABLE_END, SETTINGS_TABLE_START, withSettingsTable } from '../../src/infra/cli.ts'

t.test('flags become settings; lists gather every occurrence, short names included', async (t) => {
  t.same(parseCommandLine(['--port', '1', '--port', '2', '-p', '3']), { kind: 'start', flags: { port: '3' } }, 'the last value of a plain setting wins')
  t.same(parseCommandLine(['--scenarios', 'a,b', '--scenario', 'c', '--scenario', 'd']), { kind: 'start', flags: { scenarios: 'a,b,c,d' } })
  t.same(parseCommandLine(['--clock', 'manual', '--speed', '2', '-c', 'x.yaml']), { kind: 'start', flags: { clockMode: 'manual', clockSpeed: '2' }, configFile: 'x.yaml' })
  t.same(parseCommandLine(['validate', 'a', 'b']), { kind: 'validate', folders: ['a', 'b'] })
  t.same(parseCommandLine(['-h']), { kind: 'help' })
  t.same(parseCommandLine(['--version']), { kind: 'version' })
  t.throws(() => parseCommandLine(['serve']), new ConfigError('unknown command "serve" (see --help)'))
  t.throws(() => parseCommandLine(['--port']), { message: "Option '-p, --port <value>' argument missing (see --help)" })
})

t.test('help lists every setting', async (t) => {
  t.match(helpText('tripo-mock', '9.9.9'), /^tripo-mock 9\.9\.9: a local emulator/)
  t.match(helpText('tripo-mock', '9.9.9'), /--max-tasks +Tasks kept in memory/)
})

t.test('the README\'s table is only rewritten between its markers, in order', async (t) => {
  t.equal(withSettingsTable('no markers'), undefined)
  t.equal(withSettingsTable(`${SETTINGS_TABLE_END}\n${SETTINGS_TABLE_START}`), undefined, 'markers the wrong way round')
  t.match(withSettingsTable(`a\n${SETTINGS_TABLE_START}\nold\n${SETTINGS_TABLE_END}\nb`), /^a\n<!-- .*\n\| Setting \| Flag \|[\s\S]*\n<!-- .*\nb$/)
})

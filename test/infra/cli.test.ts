/**
 * The command line, parsed without starting anything (the processes are tested in server.test.ts).
 */
import t from 'tap'
import { ConfigError } from '../../src/infra/config.ts'
import { helpText, parseCommandLine, SETTINGS_TABLE_END, SETTINGS_TABLE_START, withSettingsTable } from '../../src/infra/cli.ts'

t.test('flags become settings; lists gather every occurrence, short names included', async (t) => {
  t.same(parseCommandLine(['--port', '1', '--port', '2', '-p', '3']), { kind: 'start', flags: { port: '3' }, flagNames: { port: '--port' } }, 'the last value of a plain setting wins')
  t.same(parseCommandLine(['--scenarios', 'a,b', '--scenario', 'c', '--scenario', 'd']), { kind: 'start', flags: { scenarios: 'a,b,c,d' }, flagNames: { scenarios: '--scenario' } })
  t.same(parseCommandLine(['--clock', 'manual', '--speed', '2', '-c', 'x.yaml']), { kind: 'start', flags: { clockMode: 'manual', clockSpeed: '2' }, flagNames: { clockMode: '--clock', clockSpeed: '--speed' }, configFile: 'x.yaml' })
  t.match(parseCommandLine(['--port', '-1', '-p', '-2']), { flags: { port: '-2' } }, 'a value may start with a dash')
  t.match(parseCommandLine(['--public-url=http://x']), { flags: { publicUrl: 'http://x' } })
  t.same(parseCommandLine(['validate', 'a', 'b']), { kind: 'validate', folders: ['a', 'b'] })
  t.same(parseCommandLine(['-h']), { kind: 'help' })
  t.same(parseCommandLine(['--version']), { kind: 'version' })
})

t.test('a refused command line says what to type instead', async (t) => {
  const message = (argv: string[]): string => {
    try {
      parseCommandLine(argv)
      return 'accepted'
    } catch (error) {
      t.type(error, ConfigError)
      return (error as Error).message
    }
  }
  t.equal(message(['serve']), 'unknown command "serve" (see --help)')
  t.equal(message(['--prot', '1']), 'unknown option --prot: did you mean --port? (see --help)')
  t.equal(message(['--startingCredits', '5']), 'unknown option --startingCredits: did you mean --starting-credits? (see --help)', 'camelCase for kebab-case')
  t.equal(message(['--clock-speeed=2']), 'unknown option --clock-speeed: did you mean --clock-speed? (see --help)')
  t.equal(message(['--bogus']), 'unknown option --bogus (see --help)', 'nothing close: no guess')
  t.equal(message(['-x']), 'unknown option -x (see --help)', 'a letter is too short to guess from')
  t.equal(message(['--port']), '--port needs a value (see --help)')
  t.equal(message(['-p']), '-p needs a value (see --help)')
  t.equal(message(['--port', '--clock', 'manual']), '--port needs a value (see --help)', 'the next flag is not its value')
  t.equal(message(['--help=yes']), '--help takes no value (see --help)')
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

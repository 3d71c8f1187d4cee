/**
 * `npm start [-- options]`: the emulator from this checkout. Builds first only when the sources
 * changed since the last build (scripts/build-state.js), then runs dist/server.js in this same
 * process, with the same arguments, so a start costs one Node process, not two.
 */
import { ensureBuilt } from './build-state.js'

if (ensureBuilt()) await import('../dist/server.js')
else process.exitCode = 2

/**
 * Snapshot files. Reading one at start: a path, or the name of a prepared state shipped in the
 * package's `states/` folder (`demo`). Writing one: into a temporary file beside it, then renamed
 * over it, so the file is whole or not there, and the previous one stays until a new one is
 * complete (Firebase's emulators lost exports by deleting them first); never over a folder.
 */
import { randomBytes } from 'node:crypto'
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs'
import { open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { StartupError } from './config.ts'
import { PACKAGE_ROOT } from './package-info.ts'

/** The prepared states shipped with the package. */
export const PREPARED_STATES_DIR = join(PACKAGE_ROOT, 'states')

/** A prepared state's name; anything with a slash or a dot is a path. */
const NAME = /^[a-z0-9][a-z0-9-]*$/

/** The names of the prepared states. */
export function preparedStates (): string[] {
  return readdirSync(PREPARED_STATES_DIR).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -'.json'.length)).sort()
}

/** The file an `import` value names: a prepared state's, or the path itself. */
export function statePath (value: string): string {
  return NAME.test(value) ? join(PREPARED_STATES_DIR, `${value}.json`) : value
}

/**
 * A snapshot read and parsed, or undefined when the file does not exist and that is allowed
 * (`missingIsEmpty`). Whatever else goes wrong is a StartupError of one line.
 */
export function readStateFile (value: string, missingIsEmpty = false): unknown {
  const path = statePath(value)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    if (missing && NAME.test(value)) throw new StartupError(`no prepared state "${value}" (there are: ${preparedStates().join(', ')}); a file needs a slash or a dot in its path, e.g. ./${value}`)
    if (missing && missingIsEmpty) return undefined
    throw new StartupError(`cannot read the state file ${path}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new StartupError(`the state file ${path} is not JSON: ${(error as Error).message}`)
  }
}

/** Refuses, at start, a file the state could not be written to at exit: a folder, or a folder that is missing or not writable. */
export function checkExportTarget (path: string): void {
  let folder = false
  try {
    folder = statSync(path).isDirectory()
  } catch { /* not there yet: it will be created */ }
  if (folder) throw new StartupError(`exportOnExit ${path} is a folder: name a file in it, e.g. ${join(path, 'state.json')}`)
  const parent = dirname(resolve(path))
  try {
    accessSync(parent, constants.W_OK)
  } catch (error) {
    throw new StartupError(`exportOnExit ${path}: cannot write in ${parent}: ${(error as Error).message}`)
  }
}

/** Writes a snapshot whole: a temporary file beside `path`, synced, then renamed over it. */
export async function writeStateFile (path: string, text: string): Promise<void> {
  if ((await stat(path).catch(() => undefined))?.isDirectory() === true) throw new Error(`${path} is a folder: the state was not written`)
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const file = await open(temporary, 'wx')
    try {
      await file.writeFile(text)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

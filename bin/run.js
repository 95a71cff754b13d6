#!/usr/bin/env node
// `orca run` starts from its bundled code path without oclif (see src/cli/fast-run.ts); help, the
// other commands and anything that fast parser leaves alone go through oclif.
import {lstatSync, mkdirSync, readFileSync} from 'node:fs'
import module from 'node:module'
import {homedir} from 'node:os'
import {isAbsolute, join} from 'node:path'

// Node.js 22.1+ keeps the compiled code of orca's modules on disk, so a later start skips compiling
// them (docs/performance.md, "Remote cache"). Node.js 20 has no such cache and starts as before.
if (typeof module.enableCompileCache === 'function') {
  const dir = compileCacheDir()
  if (dir !== undefined) module.enableCompileCache(dir)
}

// A shell can sit in a folder that was removed or renamed since it entered it; orca finds its project
// from the working folder, so it says so instead of failing on the first path it resolves.
try {
  process.cwd()
} catch {
  const {exitCode} = await import('../dist/engine/errors.js')
  process.stderr.write('orca: the working folder no longer exists (it was removed or renamed after this shell entered it)\nhint: cd into your project again\n')
  process.exit(exitCode('usage'))
}

const argv = process.argv.slice(2)
let code
if (argv[0] === 'run') {
  const {runFast} = await import('../dist/fast/run.js')
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  code = await runFast(argv.slice(1), version)
}
if (code === undefined) {
  const {execute, settings} = await import('@oclif/core')
  // The installed command runs its compiled code: never look for TypeScript sources (oclif does when
  // NODE_ENV is test or development and tsx is installed, and warns when it finds none).
  settings.enableAutoTranspile = false
  await execute({dir: import.meta.url})
} else {
  // End now, once stdout and stderr took what was written (as oclif does for a failing command).
  // Left to end by itself, node first waits for V8's background work and frees the whole heap
  // (its cost after a fully cached run: docs/performance.md).
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))))
  process.exit(code)
}

/**
 * The user's own cache folder for compiled code: `$XDG_CACHE_HOME/orca/compile-cache` (default
 * ~/.cache). Never the project's folder, never one another user could write: Node.js runs what it
 * finds there, so a folder that is not a real folder of this user's, writable by them alone, is not used.
 */
function compileCacheDir() {
  try {
    // A relative XDG_CACHE_HOME is ignored, as the XDG rules say.
    const xdg = process.env.XDG_CACHE_HOME?.trim()
    const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache')
    const dir = join(base, 'orca', 'compile-cache')
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const stat = lstatSync(dir)
    const own = typeof process.getuid !== 'function' || stat.uid === process.getuid()
    return stat.isDirectory() && own && (stat.mode & 0o022) === 0 ? dir : undefined
  } catch {
    // No home folder, a read-only one: start without the cache.
    return undefined
  }
}

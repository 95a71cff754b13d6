#!/usr/bin/env node
// `orca run` starts from its bundled code path without oclif (see src/cli/fast-run.ts); help, the
// other commands and anything that fast parser leaves alone go through oclif.
// CommonJS, not an ES module: an ES entry costs Node.js its ES module loader at every start (2–6 ms of
// CPU per run, docs/performance.md "A fifth round"); the ES parts load through import().
'use strict'

const {lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} = require('node:fs')
const nodeModule = require('node:module')
const {homedir} = require('node:os')
const {dirname, isAbsolute, join} = require('node:path')
const {pathToFileURL} = require('node:url')
const vm = require('node:vm')

// Compiled code is kept on disk, so a later start skips compiling it: orca run's as V8's code cache
// (compiledRun, every Node.js version), the ES modules' by Node.js 22.1+'s own compile cache
// (docs/performance.md, "Remote cache" and "A fourth round"). NODE_DISABLE_COMPILE_CACHE turns both off.
const cacheDir = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : compileCacheDir()
if (typeof nodeModule.enableCompileCache === 'function' && cacheDir !== undefined) nodeModule.enableCompileCache(cacheDir)

void main()

async function main() {
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
    const compiled = mayShowLiveView(argv) ? undefined : compiledRun()
    const {runFast} = compiled ?? (await import('../dist/fast/run.js'))
    const {version} = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))
    code = await runFast(argv.slice(1), version)
    // Kept from a run that got past reading its input: a usage error or --help compiles too little of
    // the path for the runs after it to start from (exit code 2: docs/cli.md).
    if (code !== undefined && code !== 2) compiled?.keepCode()
  }
  if (code === undefined) {
    const {execute, settings} = await import('@oclif/core')
    // The installed command runs its compiled code: never look for TypeScript sources (oclif does when
    // NODE_ENV is test or development and tsx is installed, and warns when it finds none).
    settings.enableAutoTranspile = false
    await execute({dir: __dirname})
  } else {
    // End now, once stdout and stderr took what was written (as oclif does for a failing command).
    // Left to end by itself, node first waits for V8's background work and frees the whole heap
    // (its cost after a fully cached run: docs/performance.md).
    await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))))
    process.exit(code)
  }
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

/**
 * Whether this run may draw the live view, whose packages (ink, react) are ES modules the CommonJS
 * bundle cannot load on Node.js 20: stdout and stderr both terminals, or `tty` in any argument
 * (`--output tty`). Such a run, the one a person watches, starts from the ES module bundle.
 */
function mayShowLiveView(args) {
  return (process.stdout.isTTY === true && process.stderr.isTTY === true) || args.some((arg) => arg.includes('tty'))
}

/**
 * `orca run`'s code path as one CommonJS file (dist/fast/run.cjs), compiled with V8's code cache: the
 * code compiled by a run is kept in the compile cache folder and the next start takes it instead of
 * parsing and compiling again (docs/performance.md, "A fourth round"). Node.js 20 has no compile cache
 * of its own and V8's cachedData is offered for scripts only; Node.js 22+'s does not cover vm scripts.
 * The cache file is named after Node.js's version and the bundle's size, time and inode: a rebuilt
 * orca never takes another build's code, and V8 refuses data made by another V8 or with other flags.
 */
function compiledRun() {
  const file = join(__dirname, '..', 'dist', 'fast', 'run.cjs')
  // ASCII only (scripts/bundle.mjs checks): read as latin1, the same text without UTF-8's decoding.
  const source = readFileSync(file, 'latin1')
  let cacheFile
  let cachedData
  if (cacheDir !== undefined) {
    const {size, mtimeMs, ino} = statSync(file)
    cacheFile = join(cacheDir, `orca-run-${process.version}-${process.arch}-${size}-${Math.round(mtimeMs * 1000)}-${ino}.v8`)
    try {
      cachedData = readFileSync(cacheFile)
    } catch {
      // None yet: this run makes it.
    }
  }
  // As node wraps a CommonJS module, with the file's URL (import.meta.url) and an import() for ES modules.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __orcaModuleUrl, __orcaImport) {${source}\n})`, {filename: file, cachedData})
  const bundle = {exports: {}}
  script.runInThisContext()(bundle.exports, nodeModule.createRequire(file), bundle, file, dirname(file), pathToFileURL(file).href, (specifier) => import(specifier))
  return {
    runFast: bundle.exports.runFast,
    /** After the run (its code compiled by now): keeps the code when there was none or V8 refused it. */
    keepCode() {
      if (cacheFile === undefined || (cachedData !== undefined && !script.cachedDataRejected)) return
      try {
        const temp = `${cacheFile}.${process.pid}.tmp`
        writeFileSync(temp, script.createCachedData(), {mode: 0o600, flag: 'wx'})
        renameSync(temp, cacheFile)
        // Another build's code is never taken again (each Node.js version keeps its own).
        const prefix = `orca-run-${process.version}-${process.arch}-`
        for (const name of readdirSync(cacheDir)) {
          if (name.startsWith(prefix) && join(cacheDir, name) !== cacheFile) rmSync(join(cacheDir, name), {force: true})
        }
      } catch {
        // A full disk or a folder gone: the next start compiles again.
      }
    },
  }
}

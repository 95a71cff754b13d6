#!/usr/bin/env node
// `orca run` starts from its bundled code path without oclif (see src/cli/fast-run.ts); help, the
// other commands and anything that fast parser leaves alone go through oclif.
import {readFileSync} from 'node:fs'

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

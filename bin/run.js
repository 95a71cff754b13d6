#!/usr/bin/env node
// `orca run` starts from its bundled code path without oclif (see src/cli/fast-run.ts); help, the
// other commands and anything that fast parser leaves alone go through oclif.
import {readFileSync} from 'node:fs'

const argv = process.argv.slice(2)
let code
if (argv[0] === 'run') {
  const {runFast} = await import('../dist/fast/run.js')
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  code = await runFast(argv.slice(1), version)
}
if (code === undefined) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
} else if (code !== 0) {
  // As oclif does for a command's exit code: end now, once stdout took what was written.
  await new Promise((resolve) => process.stdout.write('', resolve))
  process.exit(code)
}

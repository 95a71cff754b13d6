// Bundles `orca run`'s code path (dist/cli/fast-run.js and what it imports) into dist/fast/, so
// bin/run.js starts it from a handful of files instead of ~250 modules; see docs/performance.md.
// Runs after tsc in `npm run build`. Lazily imported parts stay lazy (split into chunks); packages
// that only a cache miss or the live view needs stay external and load from node_modules as usual.
import {rmSync} from 'node:fs'

import {build} from 'esbuild'

rmSync('dist/fast', {recursive: true, force: true})

await build({
  entryPoints: {run: 'dist/cli/fast-run.js'},
  outdir: 'dist/fast',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // typescript: cosmiconfig can load .ts config files, which orca does not search for.
  // @aws-sdk/client-s3: only a configured s3:// remote cache loads it.
  external: ['dockerode', 'ink', 'react', 'react/*', '@oclif/core', 'typescript', '@aws-sdk/client-s3'],
  // CommonJS packages inside an ES module bundle still call require() for node's built-ins.
  banner: {js: "import {createRequire as __orcaRequire} from 'node:module'; const require = __orcaRequire(import.meta.url);"},
  chunkNames: 'chunk-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
})

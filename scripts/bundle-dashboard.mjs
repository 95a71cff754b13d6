// Bundles the dashboard (web/: Preact, dagre, anser and the engine's own run-record fold) into
// dist/dashboard/: index.html and assets/dashboard.{js,css}, served by `orca serve` at / and inlined
// by `orca show --html`. Everything the page needs is here: nothing loads from a CDN at run time.
import {copyFileSync, mkdirSync, rmSync} from 'node:fs'

import {build} from 'esbuild'

rmSync('dist/dashboard', {recursive: true, force: true})
mkdirSync('dist/dashboard/assets', {recursive: true})

await build({
  entryPoints: {dashboard: 'web/main.tsx', 'dashboard-layout': 'web/layout-worker.ts', 'dashboard-style': 'web/styles.css'},
  outdir: 'dist/dashboard/assets',
  entryNames: '[name]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
})
copyFileSync('web/index.html', 'dist/dashboard/index.html')

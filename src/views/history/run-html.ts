import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

import {runArtifactFiles} from '../../engine/history/artifacts.js'
import type {RunGraph} from '../../engine/history/run-graph.js'
import type {RunRecord} from '../../engine/records/record.js'
import {runDir} from '../../engine/records/store.js'

/** Where `npm run build` puts the dashboard's page and bundles (from web/), from src/ or dist/ alike. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/dashboard/', import.meta.url))

/** A job's log is embedded up to this size; beyond it, its end (what explains a failure). */
const MAX_EMBEDDED_LOG_BYTES = 8 * 1024 * 1024

/** What the page reads from `#orca-data` instead of the API (web/run-data.ts, EmbeddedRun). */
export interface EmbeddedRun {
  record: RunRecord
  graph: RunGraph
  logs: Record<string, string>
  artifacts: Array<{job: string; path: string; size: number; sha256: string; url: string}>
}

/** The run's data for its page: the record, the needs, every job's log and its artifacts' listing. */
export async function embeddedRun(runsDir: string, record: RunRecord, graph: RunGraph): Promise<EmbeddedRun> {
  const logs: Record<string, string> = {}
  for (const job of Object.keys(record.jobs)) {
    const text = await readLogEnd(path.join(runDir(runsDir, record.id), 'logs', `${job}.log`))
    if (text !== undefined) logs[job] = text
  }
  const artifacts = (await runArtifactFiles(runsDir, record)).map(({job, entry}) => ({job, path: entry.path, size: entry.size, sha256: entry.sha256, url: ''}))
  return {record, graph, logs, artifacts}
}

async function readLogEnd(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r').catch(() => undefined)
  if (handle === undefined) return undefined
  try {
    const {size} = await handle.stat()
    const length = Math.min(size, MAX_EMBEDDED_LOG_BYTES)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const text = buffer.toString('utf8')
    return size === length ? text : `==> the first ${size - length} bytes of this log are not in this file (orca logs has them)\n${text.slice(text.indexOf('\n') + 1)}`
  } finally {
    await handle.close()
  }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64')

/**
 * The dashboard's run page as one self-contained HTML file: its script, styles and the run's data
 * inline, a policy that allows exactly those (by digest) and no network at all.
 */
export function runPageHtml(data: EmbeddedRun, dashboardDir = DASHBOARD_DIR): string {
  // `</script` inside the bundle would end the element early; `<\/script` means the same to JavaScript.
  const script = readFileSync(path.join(dashboardDir, 'assets', 'dashboard.js'), 'utf8').replaceAll('</script', '<\\/script')
  const style = readFileSync(path.join(dashboardDir, 'assets', 'dashboard-style.css'), 'utf8').replaceAll('</style', '<\\/style')
  // JSON with every `<` escaped cannot close its element, whatever a log holds.
  const json = JSON.stringify(data).replaceAll('<', '\\u003c')
  const csp = `default-src 'none'; script-src 'sha256-${sha256(script)}'; style-src 'sha256-${sha256(style)}'; img-src data:; base-uri 'none'; form-action 'none'`
  const title = `orca run ${data.record.id} (${data.record.status})`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
<div id="app"></div>
<script type="application/json" id="orca-data">${json}</script>
<script type="module">${script}</script>
</body>
</html>
`
}

import type {ChangeArea} from '../../engine/cache/diff.js'
import type {Explanation} from '../../engine/cache/explain.js'
import {shortKey} from '../../engine/cache/format.js'

const HEADLINE: Record<Explanation['state'], string> = {
  cached: 'cached: a run restores it without running it',
  remote: 'cached in the remote cache: a run downloads and restores it without running it',
  changed: 'will run: its key changed since it was last cached',
  never: 'will run: it was never cached',
  gone: 'will run: its key is unchanged but the entry was removed (pruned or cleared)',
  unknown: 'key not known before running',
  disabled: 'never cached',
}

const AREAS: Array<[ChangeArea, string]> = [
  ['format', 'cache format'],
  ['image', 'image'],
  ['definition', 'definition'],
  ['services', 'services'],
  ['host', 'host key'],
  ['env', 'env'],
  ['secrets', 'secrets (names only)'],
  ['inputs', 'inputs'],
  ['needs', 'needs'],
]

/** Lists shown in full up to this many lines. */
const MAX_LINES = 40

/** Plain text for `orca explain`. */
export function formatExplanation(explanation: Explanation, indent = ''): string {
  const headline = explanation.state === 'disabled' ? `${HEADLINE.disabled} (${explanation.why})` : HEADLINE[explanation.state]
  const lines = [`${indent}${explanation.job}: ${headline}`]
  const sub = `${indent}  `
  if (explanation.key) lines.push(`${sub}key     ${shortKey(explanation.key)}`)
  if (explanation.last) {
    lines.push(`${sub}last    ${shortKey(explanation.last.key)} cached by run ${explanation.last.runId} (${explanation.last.createdAt})`)
  }
  if (explanation.state === 'unknown' || explanation.state === 'never' || (explanation.state === 'cached' && !explanation.last) || explanation.state === 'remote') {
    lines.push(`${sub}why     ${explanation.why}`)
  }
  for (const [area, title] of AREAS) {
    const changes = explanation.changes.filter((c) => c.area === area)
    if (changes.length === 0) continue
    lines.push(`${sub}${title}${area === 'inputs' ? ` (${changes.length} changed)` : ''}`)
    for (const change of changes.slice(0, MAX_LINES)) lines.push(`${sub}  ${change.text}`)
    if (changes.length > MAX_LINES) lines.push(`${sub}  … and ${changes.length - MAX_LINES} more`)
  }
  for (const up of explanation.upstream) lines.push(formatExplanation(up, `${sub}  `).trimEnd())
  for (const volume of explanation.volumes ?? []) {
    lines.push(`${sub}volume  ${volume.name}: key ${shortKey(volume.key)}, ${volume.stored ? 'stored in the local cache' : 'not in the local cache'} (not part of the job's key)`)
  }
  return `${lines.join('\n')}\n`
}

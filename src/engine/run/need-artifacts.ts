import type {ArtifactEntry} from '../artifacts/manifest.js'
import {loadPicomatch} from '../picomatch.js'
import type {Job} from '../pipeline/types.js'
import type {JobWarning} from '../executor/types.js'

/**
 * What the job takes from each need (`needs: [{job, artifacts}]`: none, or those its globs match),
 * and a warning for each path two needs deliver with different content. The later need's file is
 * placed, as before; identical files (same digest and mode, or the same link) are no clash.
 */
export function chooseNeedArtifacts(job: Job, perNeed: ReadonlyArray<readonly ArtifactEntry[]>): {artifacts: ArtifactEntry[][]; warnings: JobWarning[]} {
  const artifacts = job.needs.map((need, index) => {
    const entries = [...(perNeed[index] ?? [])]
    const chosen = job.needArtifacts?.[need]
    if (chosen === undefined) return entries
    if (chosen === false) return []
    const matches = loadPicomatch()(chosen.map((glob) => glob.replace(/^(\.\/)+/, '')), {dot: true})
    return entries.filter((entry) => matches(entry.path))
  })
  const warnings: JobWarning[] = []
  const owner = new Map<string, {need: string; entry: ArtifactEntry}>()
  job.needs.forEach((need, index) => {
    for (const entry of artifacts[index]!) {
      const first = owner.get(entry.path)
      owner.set(entry.path, {need, entry})
      if (first === undefined || sameContent(first.entry, entry)) continue
      warnings.push({
        kind: 'artifact-clash',
        path: entry.path,
        message: `${first.need} and ${need} both deliver ${entry.path} with different content: ${need}'s is placed (the later need); choose with needs: [{job: ${first.need}, artifacts: [globs]}]`,
      })
    }
  })
  return {artifacts, warnings}
}

function sameContent(a: ArtifactEntry, b: ArtifactEntry): boolean {
  if (a.type === 'file' && b.type === 'file') return a.sha256 === b.sha256 && a.mode === b.mode
  return a.type === 'symlink' && b.type === 'symlink' && a.target === b.target
}

import {describe, expect, it} from 'vitest'

import type {ArtifactEntry} from '../../../src/engine/artifacts/manifest.js'
import {chooseNeedArtifacts} from '../../../src/engine/run/need-artifacts.js'
import {job} from '../../helpers/pipeline.js'

const file = (path: string, sha: string, mode = 0o644): ArtifactEntry => ({path, type: 'file', mode, size: 1, sha256: sha.repeat(64)})

describe('chooseNeedArtifacts', () => {
  it('warns once per path two needs deliver with different content; identical files and links are no clash', () => {
    const a = [file('dist/app.js', 'a'), file('LICENSE', 'c'), {path: 'latest', type: 'symlink' as const, target: 'dist'}]
    const b = [file('dist/app.js', 'b'), file('LICENSE', 'c'), {path: 'latest', type: 'symlink' as const, target: 'dist'}]
    const {artifacts, warnings} = chooseNeedArtifacts(job('use', {needs: ['a', 'b']}), [a, b])
    expect(artifacts).toEqual([a, b])
    expect(warnings.map((w) => [w.kind, w.path])).toEqual([['artifact-clash', 'dist/app.js']])
  })

  it('the same content with another mode is a clash', () => {
    const {warnings} = chooseNeedArtifacts(job('use', {needs: ['a', 'b']}), [[file('run.sh', 'a', 0o644)], [file('run.sh', 'a', 0o755)]])
    expect(warnings).toHaveLength(1)
  })

  it('takes nothing from a need with artifacts: false, and only what the globs match from one with globs', () => {
    const a = [file('dist/app.js', 'a'), file('dist/app.js.map', 'm'), file('coverage/lcov.info', 'l')]
    const b = [file('dist/app.js', 'b')]
    const none = chooseNeedArtifacts(job('use', {needs: ['a', 'b'], needArtifacts: {a: false}}), [a, b])
    expect(none).toEqual({artifacts: [[], b], warnings: []})
    const some = chooseNeedArtifacts(job('use', {needs: ['a', 'b'], needArtifacts: {a: ['./**/*.map', 'coverage/**']}}), [a, b])
    expect(some.artifacts[0]!.map((e) => e.path)).toEqual(['dist/app.js.map', 'coverage/lcov.info'])
    expect(some.warnings).toEqual([])
  })
})

import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {keyManifest} from '../../../src/engine/cache/key.js'
import {KeyMemo} from '../../../src/engine/cache/key-memo.js'
import {job} from '../../helpers/pipeline.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orca-key-memo-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const manifest = (env: Record<string, string> = {}) => keyManifest({job: job('build', {steps: ['make'], env}), imageId: 'sha256:aaa', envOverrides: {}, inputs: [], needs: {}})
const KEY = 'k'.repeat(64)

/** What the memo gives for this manifest and fingerprint without computing; undefined when it would compute. */
function remembered(memo: KeyMemo, m: ReturnType<typeof manifest>, fingerprint: string): string | undefined {
  let computed = false
  const key = memo.keyOf(m, fingerprint, () => {
    computed = true
    return 'computed'
  })
  return computed ? undefined : key
}
const remember = (memo: KeyMemo, m: ReturnType<typeof manifest>, fingerprint: string, key: string): string => memo.keyOf(m, fingerprint, () => key)

describe('KeyMemo', () => {
  it('finds a key by the rest of the manifest and the fingerprint, within one stat index generation', () => {
    const file = join(dir, 'memo.keys')
    const memo = KeyMemo.load(file, 'gen-1')
    remember(memo, manifest(), 'fp', KEY)
    memo.save()

    const same = KeyMemo.load(file, 'gen-1')
    expect(remembered(same, manifest(), 'fp')).toBe(KEY)
    expect(remembered(same, manifest(), 'other fingerprint')).toBeUndefined()
    expect(remembered(same, manifest({NODE_ENV: 'production'}), 'fp')).toBeUndefined()
    expect(remembered(KeyMemo.load(file, 'gen-2'), manifest(), 'fp')).toBeUndefined()
  })

  it('starts empty from a damaged file, and keeps a bounded number of entries', () => {
    const file = join(dir, 'memo.keys')
    writeFileSync(file, '{"format":1,"generation":"gen-1","keys":')
    const memo = KeyMemo.load(file, 'gen-1')
    expect(remembered(memo, manifest(), 'fp')).toBeUndefined()
    for (let i = 0; i < 300; i++) remember(memo, manifest({N: String(i)}), 'fp', KEY)
    memo.save()
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {keys: Record<string, string>}
    expect(Object.keys(saved.keys)).toHaveLength(256)
    const reloaded = KeyMemo.load(file, 'gen-1')
    expect(remembered(reloaded, manifest({N: '299'}), 'fp')).toBe(KEY)
    expect(remembered(reloaded, manifest({N: '0'}), 'fp')).toBeUndefined()
  })
})

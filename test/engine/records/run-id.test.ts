import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {newRunId, resolveRunId, RUN_ID_PATTERN} from '../../../src/engine/records/run-id.js'

describe('newRunId', () => {
  it('is the UTC start time to the millisecond plus random hex', () => {
    const id = newRunId(new Date('2026-11-25T20:30:15.123Z'))
    expect(id).toMatch(/^20261125T203015123Z-[0-9a-f]{6}$/)
    expect(id).toMatch(RUN_ID_PATTERN)
    expect(encodeURIComponent(id)).toBe(id)
  })

  it('sorts by start time', () => {
    const times = ['2026-01-02T00:00:00.000Z', '2026-01-01T23:59:59.999Z', '2025-12-31T00:00:00.000Z', '2026-01-02T00:00:00.001Z']
    const ids = times.map((t) => newRunId(new Date(t)))
    const byId = [...ids].sort()
    const byTime = [...times].sort().map((t) => ids[times.indexOf(t)])
    expect(byId).toEqual(byTime)
  })

  it('differs for runs started in the same millisecond', () => {
    const now = new Date()
    const ids = new Set(Array.from({length: 200}, () => newRunId(now)))
    expect(ids.size).toBeGreaterThan(195)
  })
})

describe('resolveRunId', () => {
  let runsDir: string
  const ids = ['20261124T100000000Z-aaaaaa', '20261125T100000000Z-bbbbbb', '20261125T100000000Z-bbcccc']
  beforeEach(() => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'orca-runs-'))
    for (const id of ids) mkdirSync(path.join(runsDir, id))
  })
  afterEach(() => rmSync(runsDir, {recursive: true, force: true}))

  it('takes an exact id, a unique prefix or latest', async () => {
    expect(await resolveRunId(runsDir, ids[0]!)).toBe(ids[0])
    expect(await resolveRunId(runsDir, '20261124')).toBe(ids[0])
    expect(await resolveRunId(runsDir, '20261125T100000000Z-bbc')).toBe(ids[2])
    expect(await resolveRunId(runsDir, 'latest')).toBe(ids[2])
  })

  it('lists the candidates of an ambiguous prefix', async () => {
    await expect(resolveRunId(runsDir, '20261125')).rejects.toMatchObject({
      kind: 'usage',
      message: `"20261125" matches more than one run: ${ids[2]}, ${ids[1]}`,
    })
  })

  it('rejects an unknown id with recent runs as a hint', async () => {
    await expect(resolveRunId(runsDir, '1999')).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('no run matches "1999"'),
      hint: expect.stringContaining(ids[2]!),
    })
  })

  it('says so when there are no runs at all', async () => {
    await expect(resolveRunId(path.join(runsDir, 'none'), 'latest')).rejects.toMatchObject({kind: 'usage', message: expect.stringMatching(/no runs recorded/)})
  })
})

import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {projectIdentity} from '../../src/engine/project-identity.js'

let root: string
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'orca-project-id-')))
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

describe('projectIdentity', () => {
  it('is stable for a project and differs between projects and hosts', () => {
    mkdirSync(join(root, 'a'))
    mkdirSync(join(root, 'b'))
    const a = projectIdentity(join(root, 'a'), 'laptop')
    expect(a).toEqual({id: expect.stringMatching(/^[0-9a-f]{12}$/), dir: join(root, 'a')})
    expect(projectIdentity(join(root, 'a'), 'laptop')).toEqual(a)
    expect(projectIdentity(join(root, 'a', '.'), 'laptop')).toEqual(a)
    expect(projectIdentity(join(root, 'b'), 'laptop').id).not.toBe(a.id)
    expect(projectIdentity(join(root, 'a'), 'ci-runner').id).not.toBe(a.id)
  })

  it('is one project however its folder is reached (symlinks resolved)', () => {
    mkdirSync(join(root, 'real'))
    symlinkSync(join(root, 'real'), join(root, 'link'))
    expect(projectIdentity(join(root, 'link'), 'h')).toEqual(projectIdentity(join(root, 'real'), 'h'))
    expect(projectIdentity(join(root, 'link'), 'h').dir).toBe(join(root, 'real'))
  })

  it('still names a project whose folder is gone, to clean up after it', () => {
    expect(projectIdentity(join(root, 'deleted'), 'h').dir).toBe(join(root, 'deleted'))
  })
})

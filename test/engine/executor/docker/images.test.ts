import {describe, expect, it} from 'vitest'

import {pullHint} from '../../../../src/engine/executor/docker/images.js'

describe('pullHint', () => {
  it('names the registry to log in to when the reference has one', () => {
    expect(pullHint('ghcr.io/acme/tools:1')).toContain('docker login ghcr.io)')
    expect(pullHint('localhost:5000/app')).toContain('docker login localhost:5000)')
  })

  it("says docker login alone for Docker Hub's short names, and offers orca init --image", () => {
    const hint = pullHint('node:20-bookworm')
    expect(hint).toContain('(docker login)')
    expect(hint).toContain('docker build -t node:20-bookworm .')
    expect(hint).toContain('orca init --force --image IMAGE')
    expect(pullHint('library/node:20')).toContain('(docker login)')
  })
})

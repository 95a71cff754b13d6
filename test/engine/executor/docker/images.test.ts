import {describe, expect, it} from 'vitest'

import {buildKitOnlyFeature} from '../../../../src/engine/executor/docker/image-build.js'
import {isAuthRefusal, platformOf, pullDecision, pullError, pullHint, samePlatform} from '../../../../src/engine/executor/docker/images.js'

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

describe('pullDecision', () => {
  it('uses a present image under missing and never, pulls an absent one under missing, refuses it under never', () => {
    expect(pullDecision('missing', 'linux/amd64', undefined)).toBe('use')
    expect(pullDecision('never', 'linux/amd64', undefined)).toBe('use')
    expect(pullDecision('missing', undefined, undefined)).toBe('pull')
    expect(pullDecision('never', undefined, undefined)).toEqual({refuse: 'the engine does not have it'})
  })

  it('always pulls under always, even a present image of the right platform', () => {
    expect(pullDecision('always', 'linux/amd64', 'linux/amd64')).toBe('pull')
    expect(pullDecision('always', undefined, undefined)).toBe('pull')
  })

  it('treats a present image of another platform as absent', () => {
    expect(pullDecision('missing', 'linux/amd64', 'linux/arm64')).toBe('pull')
    expect(pullDecision('never', 'linux/amd64', 'linux/arm64')).toEqual({refuse: 'the engine has it only for linux/amd64, not linux/arm64'})
    expect(pullDecision('missing', 'linux/arm64', 'linux/arm64/v8')).toBe('use')
  })
})

describe('samePlatform', () => {
  it('matches os and architecture as Docker names them, and a variant only when the job names one', () => {
    expect(samePlatform('linux/amd64', 'linux/amd64')).toBe(true)
    expect(samePlatform('linux/amd64', 'linux/x86_64')).toBe(true)
    expect(samePlatform('linux/arm64', 'linux/aarch64')).toBe(true)
    expect(samePlatform('linux/arm/v7', 'linux/arm')).toBe(true)
    expect(samePlatform('linux/arm/v6', 'linux/arm/v7')).toBe(false)
    expect(samePlatform('linux/amd64', 'linux/arm64')).toBe(false)
    expect(samePlatform('windows/amd64', 'linux/amd64')).toBe(false)
  })

  it('reads an inspected image as os/arch[/variant]', () => {
    expect(platformOf({Os: 'linux', Architecture: 'arm', Variant: 'v7'})).toBe('linux/arm/v7')
    expect(platformOf({Os: 'linux', Architecture: 'amd64'})).toBe('linux/amd64')
  })
})

describe('pullError', () => {
  it('says a registry refused for credentials, and how to log in to it', () => {
    const error = pullError('127.0.0.1:5000/team/app:1', {json: {message: 'Head "http://127.0.0.1:5000/v2/team/app/manifests/1": no basic auth credentials'}})
    expect(error.message).toBe('could not pull image "127.0.0.1:5000/team/app:1": registry 127.0.0.1:5000 refused it without valid credentials (Head "http://127.0.0.1:5000/v2/team/app/manifests/1": no basic auth credentials)')
    expect(error.hint).toBe('log in with docker login 127.0.0.1:5000, or give orca credentials for 127.0.0.1:5000 in ORCA_REGISTRY_AUTH or registries: in orca.config.yml')
    expect(isAuthRefusal('unauthorized: authentication required')).toBe(true)
  })

  it('keeps the name hint for other failures', () => {
    const error = pullError('orca-test/nope:1', new Error('manifest unknown'))
    expect(error.message).toBe('could not pull image "orca-test/nope:1": manifest unknown')
    expect(error.hint).toContain('check the image name and tag')
    expect(isAuthRefusal('manifest unknown')).toBe(false)
  })
})

describe('buildKitOnlyFeature', () => {
  it('finds the BuildKit-only syntax the classic builder cannot read, with its line', () => {
    expect(buildKitOnlyFeature('# syntax=docker/dockerfile:1\nFROM x')).toBe('line 1: "# syntax=" selects a BuildKit frontend')
    expect(buildKitOnlyFeature('FROM x\nRUN --mount=type=cache,target=/root/.npm npm ci')).toBe('line 2: RUN --mount= is BuildKit-only')
    expect(buildKitOnlyFeature('FROM x\nCOPY --link a /a')).toBe('line 2: COPY --link is BuildKit-only')
    expect(buildKitOnlyFeature('FROM x\nRUN <<EOF\necho hi\nEOF')).toBe('line 2: a here-document (<<EOF) in RUN is BuildKit-only')
  })

  it('accepts what the classic builder reads: plain instructions, comments, continuation lines', () => {
    expect(buildKitOnlyFeature('# a comment\nFROM x AS base\nARG V=1\nRUN apt-get update && \\\n  apt-get install -y curl\nCOPY --chown=1:1 a /a\nCMD ["sh"]')).toBeUndefined()
  })
})

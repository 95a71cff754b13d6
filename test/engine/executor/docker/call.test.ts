import {describe, expect, it} from 'vitest'

import {listing} from '../../../../src/engine/executor/docker/call.js'

/** An engine error as docker-modem makes one: the engine's message in `json`. */
function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), {statusCode, json: {message}})
}

describe('listing', () => {
  it('asks again when the engine failed the listing because something listed vanished during it', async () => {
    let calls = 0
    const answer = await listing(async () => {
      calls++
      if (calls < 3) throw engineError(500, 'image not known')
      return ['a', 'b']
    }, 'list images', {pauseMs: 1})
    expect(answer).toEqual(['a', 'b'])
    expect(calls).toBe(3)
  })

  it('throws any other engine error at once', async () => {
    let calls = 0
    await expect(
      listing(async () => {
        calls++
        throw engineError(500, 'database is locked')
      }, 'list containers', {pauseMs: 1}),
    ).rejects.toThrow(/database is locked/)
    expect(calls).toBe(1)
  })

  it("gives up after its attempts, with the engine's error", async () => {
    let calls = 0
    await expect(
      listing(async () => {
        calls++
        throw engineError(500, 'no such container: 1234')
      }, 'list containers', {attempts: 4, pauseMs: 1}),
    ).rejects.toThrow(/no such container/)
    expect(calls).toBe(4)
  })
})

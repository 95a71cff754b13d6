import {describe, expect, it} from 'vitest'

import {removeContainer} from '../../../../src/engine/executor/docker/resources.js'

/** An engine error as docker-modem makes one: the engine's message in `json`. */
function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message}`), {statusCode, json: {message}})
}

/** A container whose removal answers each of `answers` in turn (an error thrown, anything else a success). */
function containerAnswering(...answers: unknown[]): {remove: () => Promise<unknown>; calls: number} {
  const container = {
    calls: 0,
    remove: async () => {
      const answer = answers[container.calls++]
      if (answer instanceof Error) throw answer
      return answer
    },
  }
  return container
}

describe('removeContainer', () => {
  it('asks again when Podman refused because the container stopped by itself meanwhile', async () => {
    const container = containerAnswering(
      engineError(500, 'cannot remove container 1234 as it could not be stopped: sending SIGKILL to container 1234: container state improper: stopped'),
      undefined,
    )
    await removeContainer(container)
    expect(container.calls).toBe(2)
  })

  it('takes a container already gone, or being removed by the engine, as removed', async () => {
    for (const error of [engineError(404, 'No such container: 1234'), engineError(409, 'removal of container 1234 is already in progress')]) {
      const container = containerAnswering(error)
      await removeContainer(container)
      expect(container.calls).toBe(1)
    }
  })

  it('throws any other refusal at once, and a stopped-meanwhile refusal after three tries', async () => {
    const other = containerAnswering(engineError(500, 'driver failed to remove root filesystem'))
    await expect(removeContainer(other)).rejects.toThrow(/root filesystem/)
    expect(other.calls).toBe(1)
    const improper = engineError(500, 'container state improper: stopped')
    const stuck = containerAnswering(improper, improper, improper, undefined)
    await expect(removeContainer(stuck)).rejects.toThrow(/state improper/)
    expect(stuck.calls).toBe(3)
  })
})

import {describe, expect, it} from 'vitest'

import {connectDocker} from '../../../../src/engine/executor/docker/connect.js'
import {watchEngine} from '../../../../src/engine/executor/docker/engine-watch.js'
import {ContainerStopper} from '../../../../src/engine/executor/docker/stopper.js'

describe('watchEngine (real engine)', () => {
  it("ends a job whose container is removed from under it, and not one orca stopped itself", async () => {
    const {docker} = await connectDocker()
    const container = await docker.createContainer({Image: 'busybox:1.36', Cmd: ['sleep', '300'], Labels: {'orca.test': 'engine-watch'}})
    try {
      await container.start()
      const stopper = new ContainerStopper(1_000)
      const stopped = new ContainerStopper(1_000)
      stopped.stop('timed_out', 'timed out')
      const lost: string[] = []
      let gone!: () => void
      const noticed = new Promise<void>((resolve) => (gone = resolve))
      // A 1 s bound pings (here: inspects) every 250 ms.
      const unwatch = watchEngine(docker, 1_000, (message) => lost.push(message), {
        current: () => container,
        onGone: (message) => {
          stopper.removed(message)
          stopped.removed(message)
          gone()
        },
      })
      await container.remove({force: true})
      await noticed
      unwatch()
      expect(lost).toEqual([])
      expect(stopper.lost).toMatch(/the job's container [0-9a-f]{12} was removed while the job ran/)
      // Its stop, not the removal the engine makes of a stopped container, is what ended the timed-out job.
      expect(stopped.lost).toBeUndefined()
      stopper.dispose()
      stopped.dispose()
    } finally {
      await container.remove({force: true}).catch(() => undefined)
    }
  })
})

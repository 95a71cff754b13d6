import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {orca, projectsPerTest, runDirs} from './cli.js'

const project = projectsPerTest()

// Capability bits (linux/capability.h) a job keeps; every other bit of CapEff must be clear.
const KEPT = {CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, NET_BIND_SERVICE: 10}
const DROPPED = {NET_RAW: 13, SYS_CHROOT: 18, SYS_ADMIN: 21, MKNOD: 27, AUDIT_WRITE: 29, SETFCAP: 31, SETPCAP: 8, NET_ADMIN: 12}

// The container's pids limit, on cgroup v1 or v2.
const PIDS_MAX = 'echo "pids.max=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"'

describe('what a job sees inside its container (real engine)', () => {
  it('runs without new privileges, with only the kept capabilities, under a pids limit, without the Docker socket', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  probe:
    network: none
    cache: false
    steps:
      - grep -E '^(NoNewPrivs|CapEff|CapBnd):' /proc/self/status
      - ${PIDS_MAX}
      - if mknod /tmp/null c 1 3 2>/dev/null; then echo mknod=allowed; else echo mknod=refused; fi
      - if mount -t tmpfs none /mnt 2>/dev/null; then echo mount=allowed; else echo mount=refused; fi
      - if [ -e /var/run/docker.sock ] || [ -e /run/docker.sock ]; then echo socket=present; else echo socket=absent; fi
      - touch f && chown 1234:1234 f && echo chown=$(stat -c %u f)
  limited:
    network: none
    cache: false
    resources: {pids: 64}
    steps: ['${PIDS_MAX}']
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const log = readFileSync(join(runDirs(dir).at(-1)!, 'logs/probe.log'), 'utf8')
    expect(log).toMatch(/^NoNewPrivs:\s+1$/m)
    const capEff = BigInt(`0x${/^CapEff:\s+([0-9a-f]+)$/m.exec(log)![1]}`)
    const capBnd = BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(log)![1]}`)
    const keptMask = Object.values(KEPT).reduce((mask, bit) => mask | (1n << BigInt(bit)), 0n)
    expect(capEff).toBe(keptMask)
    expect(capBnd).toBe(keptMask)
    for (const [name, bit] of Object.entries(DROPPED)) expect(capEff & (1n << BigInt(bit)), name).toBe(0n)
    expect(log).toContain('pids.max=1024')
    expect(log).toContain('mknod=refused')
    expect(log).toContain('mount=refused')
    expect(log).toContain('socket=absent')
    expect(log).toContain('chown=1234')
    expect(readFileSync(join(runDirs(dir).at(-1)!, 'logs/limited.log'), 'utf8')).toContain('pids.max=64')
  })

  it('applies defaults.resources from orca.config.yml to jobs without their own limits', async () => {
    const dir = project({
      'orca.config.yml': 'defaults:\n  resources: {memory: 64m, pids: 100}\n',
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  probe:
    network: none
    cache: false
    steps:
      - echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
      - ${PIDS_MAX}
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const log = readFileSync(join(runDirs(dir).at(-1)!, 'logs/probe.log'), 'utf8')
    expect(log).toContain(`memory=${64 * 1024 * 1024}`)
    expect(log).toContain('pids.max=100')
  })
})

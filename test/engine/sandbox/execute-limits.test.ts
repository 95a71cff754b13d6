import {describe, expect, it} from 'vitest'

import {takeMarker} from '../../../src/engine/sandbox/execute.js'
import {CappedOutput, classifyLimit, DEFAULT_EXECUTE_CAPS, resolveLimits, workdirPath} from '../../../src/engine/sandbox/execute-limits.js'

const none = {outputExceeded: false, timedOut: false, oomKilled: false, pidsRefused: 0}

describe('classifyLimit', () => {
  it('names the limit that ended an execution, orca\'s own stops first', () => {
    expect(classifyLimit(none)).toBeNull()
    expect(classifyLimit({...none, pidsRefused: undefined})).toBeNull()
    expect(classifyLimit({...none, pidsRefused: 3})).toBe('pids')
    expect(classifyLimit({...none, oomKilled: true, pidsRefused: 3})).toBe('memory')
    expect(classifyLimit({...none, timedOut: true, oomKilled: true})).toBe('timeout')
    expect(classifyLimit({...none, outputExceeded: true, timedOut: true})).toBe('output')
  })
})

describe('resolveLimits', () => {
  const caps = {...DEFAULT_EXECUTE_CAPS, maxTimeoutMs: 10_000, maxPids: 64}
  it('takes the cap where the request gives nothing, and the request where it asks for less', () => {
    expect(resolveLimits({}, caps)).toEqual({timeoutMs: 10_000, memoryBytes: caps.maxMemoryBytes, cpus: 1, pids: 64, outputBytes: caps.maxOutputBytes, network: false})
    expect(resolveLimits({timeoutMs: 500, pids: 8}, caps)).toMatchObject({timeoutMs: 500, pids: 8})
  })
  it('refuses more than a cap, and a network the server does not give', () => {
    expect(() => resolveLimits({timeoutMs: 10_001}, caps)).toThrow("limits.timeoutMs 10001 is over the server's cap of 10000")
    expect(() => resolveLimits({network: true}, caps)).toThrow(/no network/)
    expect(resolveLimits({network: true}, {...caps, network: true}).network).toBe(true)
  })
})

describe('CappedOutput', () => {
  it('keeps output up to the cap and slack, and says once that it went over', () => {
    let over = 0
    const output = new CappedOutput(5, 2, () => over++)
    output.write('stdout', Buffer.from('abc'))
    output.write('stderr', Buffer.from('defg'))
    expect(over).toBe(0)
    output.write('stdout', Buffer.from('hij'))
    output.write('stdout', Buffer.from('k'))
    expect(over).toBe(1)
    expect(output.overflowed).toBe(true)
    expect(output.text('stdout').toString()).toBe('abc')
    expect(output.text('stderr').toString()).toBe('defg')
  })
})

describe('takeMarker', () => {
  it('takes orca\'s last line off stderr and reads the refused forks from it', () => {
    const {stderr, pidsRefused} = takeMarker(Buffer.from('oops\norca-abc pids-refused=2\n'), 'orca-abc')
    expect(stderr.toString()).toBe('oops\n')
    expect(pidsRefused).toBe(2)
    expect(takeMarker(Buffer.from('x orca-abc pids-refused=? oom-kills=?\n'), 'orca-abc')).toEqual({stderr: Buffer.from('x '), pidsRefused: undefined, oomKills: undefined})
    expect(takeMarker(Buffer.from('no marker'), 'orca-abc').pidsRefused).toBeUndefined()
  })

  it('reads the OOM killer\'s count of the cgroup from the same line', () => {
    expect(takeMarker(Buffer.from('orca-abc pids-refused=0 oom-kills=1\n'), 'orca-abc')).toEqual({stderr: Buffer.from(''), pidsRefused: 0, oomKills: 1})
    expect(takeMarker(Buffer.from('orca-abc pids-refused=0 oom-kills=0\n'), 'orca-abc').oomKills).toBe(0)
  })
})

describe('workdirPath', () => {
  it('accepts relative paths in one spelling and refuses escapes', () => {
    expect(workdirPath('./a//b.txt', 'f')).toBe('a/b.txt')
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '', 'a\\b']) expect(() => workdirPath(bad, 'f'), bad).toThrow(/relative to the workdir/)
  })
})

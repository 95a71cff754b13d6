import {describe, expect, it} from 'vitest'

import {parsePortSpec} from '../../src/cli/sandbox-remote.js'
import {parseMessage} from '../../src/server/routes/sandbox-sockets.js'
import {outputLine} from '../../src/server/routes/sandboxes.js'

describe('sandbox wire formats', () => {
  it('an exec output line carries UTF-8 as text and other bytes as base64', () => {
    expect(JSON.parse(outputLine('stdout', Buffer.from('héllo\n')))).toEqual({type: 'output', stream: 'stdout', text: 'héllo\n'})
    expect(JSON.parse(outputLine('stderr', Buffer.from([0xff, 0x00])))).toEqual({type: 'output', stream: 'stderr', base64: '/wA='})
    expect(outputLine('stdout', Buffer.from('x')).endsWith('\n')).toBe(true)
  })

  it('terminal control messages are resize and exit; anything else is ignored', () => {
    expect(parseMessage('{"type":"resize","columns":100,"rows":30}')).toEqual({type: 'resize', columns: 100, rows: 30})
    expect(parseMessage('{"type":"exit","exitCode":3}')).toEqual({type: 'exit', exitCode: 3})
    for (const other of ['{"type":"resize","columns":0,"rows":30}', '{"type":"resize","columns":"80","rows":24}', 'not json', '{"type":"other"}']) expect(parseMessage(other)).toBeUndefined()
  })

  it('a port to forward is PORT or PORT:LOCAL_PORT', () => {
    expect(parsePortSpec('8080')).toEqual({port: 8080, localPort: 8080})
    expect(parsePortSpec('8080:0')).toEqual({port: 8080, localPort: 0})
    for (const bad of ['0', '70000', '80:70000', 'http', '80:', ':80']) expect(() => parsePortSpec(bad)).toThrow(/PORT/)
  })
})

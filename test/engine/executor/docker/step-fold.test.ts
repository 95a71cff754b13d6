import {describe, expect, it} from 'vitest'

import {foldFrame, FoldFrames, needsSentinel} from '../../../../src/engine/executor/docker/step-fold.js'

/** The engine's multiplexed framing: stream number, three zero bytes, the payload's size, the payload. */
function mux(stream: 1 | 2, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(body.length, 4)
  return Buffer.concat([header, body])
}

interface Read {
  output: string
  started?: 'in' | {code: number; message: string}
  collecting: boolean
  archive: string
  error?: string
}

/** Feeds `bytes` to a FoldFrames in pieces of `size` bytes and reads everything it tells. */
async function read(frame: string, needs: boolean, bytes: Buffer, size: number): Promise<Read> {
  let output = ''
  const frames = new FoldFrames(frame, needs, (_stream, chunk) => void (output += chunk.toString('latin1')))
  const result: Read = {output: '', collecting: false, archive: ''}
  void frames.started.then((s) => void (result.started = s))
  void frames.collecting.then(() => void (result.collecting = true))
  const archive: Buffer[] = []
  frames.on('data', (chunk: Buffer) => archive.push(chunk))
  const done = new Promise<void>((resolve) => {
    frames.on('end', resolve)
    frames.on('error', (error) => {
      result.error = error.message
      resolve()
    })
  })
  for (let at = 0; at < bytes.length; at += size) frames.write(bytes.subarray(at, at + size))
  frames.end()
  await done
  if (!result.collecting) frames.flushOutput()
  return {...result, output, archive: Buffer.concat(archive).toString('latin1')}
}

describe('FoldFrames', () => {
  const frame = foldFrame()
  const junk = 'x\u0001\u0002\u00ff\u0000y [orca:fold:0000]:out\n'
  const tarBytes = Buffer.from('ustar\u0000 archive bytes \u0000\u0000', 'latin1')

  it('splits the prelude, the step and the archive wherever the stream is cut', async () => {
    const bytes = Buffer.concat([
      mux(1, `${frame}:in\n`),
      mux(1, `step says ${junk}and ${frame.slice(0, 10)} half a frame\n`),
      mux(1, `${frame}:out\n`),
      mux(1, tarBytes),
      mux(2, '\norca-tar-exit:0'),
    ])
    for (const size of [1, 7, 64, bytes.length]) {
      const got = await read(frame, true, bytes, size)
      expect(got).toEqual({output: `step says ${junk}and ${frame.slice(0, 10)} half a frame\n`, started: 'in', collecting: true, archive: tarBytes.toString('latin1')})
    }
  })

  it('reports a failed extraction with tar\'s message, and nothing as the step\'s', async () => {
    const bytes = Buffer.concat([mux(1, `tar: can't remove old file dist/a.txt: Is a directory\n${frame}:x1\n`)])
    const got = await read(frame, true, bytes, 5)
    expect(got.started).toEqual({code: 1, message: "tar: can't remove old file dist/a.txt: Is a directory"})
    expect(got.output).toBe('')
    expect(got.collecting).toBe(false)
  })

  it('passes everything on as the step\'s output when no archive follows (a failed step), stderr included', async () => {
    const bytes = Buffer.concat([mux(1, `last words ${frame.slice(0, 20)}`), mux(2, 'on stderr\n')])
    const got = await read(frame, false, bytes, 3)
    expect(got).toEqual({output: `last words ${frame.slice(0, 20)}on stderr\n`, collecting: false, archive: ''})
  })

  it('fails the archive when tar reports a failure, or reports nothing (a broken frame)', async () => {
    const failing = Buffer.concat([mux(1, `${frame}:out\n`), mux(1, tarBytes), mux(2, 'tar: dist: Permission denied\n\norca-tar-exit:1')])
    expect((await read(frame, false, failing, 9)).error).toMatch(/tar exited with code 1: tar: dist: Permission denied/)
    const cut = Buffer.concat([mux(1, `${frame}:out\n`), mux(1, tarBytes)])
    expect((await read(frame, false, cut, 9)).error).toMatch(/without tar reporting an exit code/)
    const insideAFrame = Buffer.concat([mux(1, `${frame}:out\n`), mux(1, tarBytes).subarray(0, 12), Buffer.alloc(0)])
    expect((await read(frame, false, insideAFrame, 9)).error).toMatch(/ended inside a frame/)
  })

  it('names a sentinel per frame inside the workdir', () => {
    expect(needsSentinel('/workspace/', frame)).toBe(`/workspace/.orca-needs-${frame.slice(11, -1)}`)
    expect(frame).toMatch(/^\[orca:fold:[0-9a-f]{32}\]$/)
    expect(foldFrame()).not.toBe(frame)
  })
})

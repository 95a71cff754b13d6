import {Readable} from 'node:stream'

import tar from 'tar-stream'
import {describe, expect, it} from 'vitest'

import {UnsafeArchiveError} from '../../../../src/engine/executor/archive/extract.js'
import {checkVolumeTar, rewriteVolumeTar} from '../../../../src/engine/executor/archive/volume-tar.js'

type Entry = {name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; content?: string; linkname?: string; mode?: number}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack()
  for (const {content, ...header} of entries) {
    if (header.type === undefined || header.type === 'file') pack.entry(header, content ?? '')
    else pack.entry(header)
  }
  pack.finalize()
  return collect(pack as unknown as Readable)
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function entriesOf(archive: Buffer): Promise<Array<{name: string; type: string; mode: number; linkname?: string | null; content: string}>> {
  const extract = tar.extract()
  const out = []
  Readable.from([archive]).pipe(extract as unknown as NodeJS.WritableStream)
  for await (const item of extract) {
    const content = (await collect(item as unknown as Readable)).toString()
    out.push({name: item.header.name, type: item.header.type ?? 'file', mode: item.header.mode ?? 0, linkname: item.header.linkname, content})
  }
  return out
}

describe('a volume\'s archive', () => {
  it('is rewritten relative to the volume\'s root, setuid bits dropped, and passes the restore check', async () => {
    const engine = await tarOf([
      {name: '.npm/', type: 'directory'},
      {name: '.npm/_cacache/', type: 'directory'},
      {name: '.npm/_cacache/blob', content: 'bytes', mode: 0o4755},
      {name: '.npm/again', type: 'link', linkname: '.npm/_cacache/blob'},
      {name: '.npm/latest', type: 'symlink', linkname: '_cacache/blob'},
    ])
    const {output, checked} = rewriteVolumeTar(Readable.from([engine]), {strip: '.npm'})
    const [rewritten, summary] = await Promise.all([collect(output), checked])
    expect(summary).toEqual({entries: 4, bytes: 5})
    const entries = await entriesOf(rewritten)
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['_cacache', 'directory'],
      ['_cacache/blob', 'file'],
      ['again', 'link'],
      ['latest', 'symlink'],
    ])
    expect(entries[1]).toMatchObject({content: 'bytes', mode: 0o755})
    expect(entries[2]!.linkname).toBe('_cacache/blob')
    await expect(checkVolumeTar(Readable.from([rewritten]))).resolves.toEqual(summary)
  })

  it.each([
    ['a name that climbs out', [{name: '../etc/passwd', content: 'x'}], /climbs out/],
    ['an absolute name', [{name: '/etc/passwd', content: 'x'}], /absolute/],
    ['a link that leads outside', [{name: 'up', type: 'symlink', linkname: '../../etc'}], /outside the volume/],
    ['an absolute link', [{name: 'abs', type: 'symlink', linkname: '/etc/shadow'}], /outside the volume/],
    ['a hard link to a file it does not hold', [{name: 'h', type: 'link', linkname: 'missing'}], /hard link/],
    ['a fifo', [{name: 'pipe', type: 'fifo'}], /fifo/],
  ] as Array<[string, Entry[], RegExp]>)('is refused before a restore when it holds %s', async (_what, entries, message) => {
    const error = await checkVolumeTar(Readable.from([await tarOf(entries)])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsafeArchiveError)
    expect((error as Error).message).toMatch(message)
  })

  it('refuses, at save, an entry outside the volume\'s folder, and leaves out fifos', async () => {
    const outside = rewriteVolumeTar(Readable.from([await tarOf([{name: '.npm/', type: 'directory'}, {name: 'elsewhere/x', content: 'x'}])]), {strip: '.npm', skipOtherTypes: true})
    outside.output.on('error', () => undefined).resume()
    await expect(outside.checked).rejects.toThrow(/not under ".npm"/)
    const fifo = rewriteVolumeTar(Readable.from([await tarOf([{name: '.npm/pipe', type: 'fifo'}, {name: '.npm/a', content: 'a'}])]), {strip: '.npm', skipOtherTypes: true})
    const [kept] = await Promise.all([collect(fifo.output), fifo.checked])
    expect((await entriesOf(kept)).map((e) => e.name)).toEqual(['a'])
  })
})

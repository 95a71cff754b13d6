import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {Redactor} from '../../src/mcp/redact.js'
import {markedText, readTextWindow, windowMarkers, type WindowRequest} from '../../src/mcp/text-window.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

async function windowOf(content: string | Buffer, request: WindowRequest, secrets: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'orca-window-'))
  dirs.push(dir)
  const file = join(dir, 'text')
  writeFileSync(file, content)
  const handle = await open(file, 'r')
  try {
    return await readTextWindow(handle, (await handle.stat()).size, request, new Redactor(secrets))
  } finally {
    await handle.close()
  }
}

const lines = (count: number): string => Array.from({length: count}, (_, i) => `line ${i + 1}\n`).join('')

describe('readTextWindow', () => {
  it('shows the last lines of a text, starting at a line', async () => {
    const window = await windowOf(lines(10), {tailLines: 3, maxBytes: 1000})
    expect(window.text).toBe('line 8\nline 9\nline 10\n')
    expect(window.end).toBe(window.totalBytes)
    expect(window.offset).toBe(Buffer.byteLength(lines(7)))
  })

  it('counts a last line without a newline as a line', async () => {
    const window = await windowOf('a\nb\nc', {tailLines: 2, maxBytes: 100})
    expect(window.text).toBe('b\nc')
  })

  it('shows the whole text when it has fewer lines than asked', async () => {
    const window = await windowOf('a\nb\n', {tailLines: 50, maxBytes: 100})
    expect(window).toEqual({text: 'a\nb\n', offset: 0, end: 4, totalBytes: 4})
  })

  it('never shows more than maxBytes of a tail, and drops the partial line at its start', async () => {
    const text = lines(1000)
    const window = await windowOf(text, {tailLines: 1000, maxBytes: 100})
    expect(Buffer.byteLength(window.text)).toBeLessThanOrEqual(100)
    expect(window.text.startsWith('line ')).toBe(true)
    expect(text.endsWith(window.text)).toBe(true)
    expect(window.offset).toBe(Buffer.byteLength(text) - Buffer.byteLength(window.text))
  })

  it('keeps a partial line when the tail is one long line', async () => {
    const window = await windowOf('x'.repeat(500), {tailLines: 5, maxBytes: 64})
    expect(window.text).toBe('x'.repeat(64))
    expect(window.offset).toBe(436)
  })

  it('reads the bytes from an offset, at most maxBytes', async () => {
    const window = await windowOf('0123456789', {offset: 3, maxBytes: 4})
    expect(window).toEqual({text: '3456', offset: 3, end: 7, totalBytes: 10})
  })

  it('answers an offset past the end with nothing', async () => {
    expect(await windowOf('abc', {offset: 99, maxBytes: 10})).toEqual({text: '', offset: 3, end: 3, totalBytes: 3})
  })

  it('cuts only between characters: a window edge inside a multi-byte character moves to its boundary', async () => {
    // "é" is 2 bytes, "€" 3 bytes: byte 1 is inside "é", byte 5 inside "€".
    const text = 'éa€bc'
    const fromInside = await windowOf(text, {offset: 1, maxBytes: 100})
    expect(fromInside.text).toBe('a€bc')
    expect(fromInside.offset).toBe(2)
    const cutInside = await windowOf(text, {offset: 0, maxBytes: 5})
    expect(cutInside.text).toBe('éa')
    expect(cutInside.end).toBe(3)
    // Reading on from where the window ended loses nothing and repeats nothing.
    const next = await windowOf(text, {offset: cutInside.end, maxBytes: 100})
    expect(cutInside.text + next.text).toBe(text)
  })

  it('masks a secret in the window, also one the window edge cuts in two', async () => {
    const secret = 'Zq9Xw7Vb5Nm3Kj1Hg8Fd6Sa4'
    const text = `start ${secret} end`
    const whole = await windowOf(text, {offset: 0, maxBytes: 1000}, [secret])
    expect(whole.text).toBe('start *** end')
    const pieces = Array.from({length: secret.length - 2}, (_, i) => secret.slice(i, i + 3))
    // Page through the text 8 bytes at a time: no page shows any 3 characters of the secret.
    let offset = 0
    let pages = ''
    while (offset < Buffer.byteLength(text)) {
      const page = await windowOf(text, {offset, maxBytes: 8}, [secret])
      for (const piece of pieces) expect(page.text).not.toContain(piece)
      pages += page.text
      offset = page.end
    }
    expect(pages).toMatch(/^start (\*\*\*)+ end$/)
  })
})

describe('window markers', () => {
  const readOn = {tool: 'read_log', args: {run: 'r1', job: 'build'}}

  it('say what was left out on each side and the call that reads it', () => {
    const window = {text: 'middle\n', offset: 1000, end: 1007, totalBytes: 5000}
    const {before, after} = windowMarkers(window, readOn)
    expect(before).toBe('[orca: 1,000 bytes before this not shown (bytes 0-1000 of 5000); to read from the start call read_log with {"run":"r1","job":"build","offset":0}]')
    expect(after).toBe('[orca: 3,993 bytes after this not shown (bytes 1007-5000); to read on call read_log with {"run":"r1","job":"build","offset":1007}]')
    expect(markedText(window, readOn)).toBe(`${before}\nmiddle\n${after}\n`)
  })

  it('are absent when the whole text is shown', () => {
    const window = {text: 'all\n', offset: 0, end: 4, totalBytes: 4}
    expect(windowMarkers(window, readOn)).toEqual({})
    expect(markedText(window, readOn)).toBe('all\n')
  })

  it('start on their own line after text without a final newline', () => {
    expect(markedText({text: 'abc', offset: 0, end: 3, totalBytes: 9}, readOn)).toMatch(/^abc\n\[orca: 6 bytes after this/)
  })
})

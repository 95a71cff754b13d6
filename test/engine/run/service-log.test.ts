import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {MAX_SERVICE_LOG_BYTES, ServiceLog} from '../../../src/engine/run/service-log.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-service-log-'))
  dirs.push(dir)
  return dir
}

describe('ServiceLog', () => {
  it('masks secrets split across chunks in the file and in the last lines', () => {
    const file = join(tempDir(), 'test.services', 'db.log')
    const log = new ServiceLog(file, ['hunter22-secret'])
    for (const chunk of ['password is hun', 'ter22-sec', 'ret\nline two\n', 'partial']) log.write(Buffer.from(chunk))
    log.close()
    expect(readFileSync(file, 'utf8')).toBe('password is ***\nline two\npartial')
    expect(log.lastLines(2)).toEqual(['line two', 'partial'])
  })

  it('keeps a multi-byte character split across chunks whole', () => {
    const log = new ServiceLog(undefined, [])
    const bytes = Buffer.from('prêt ✓\n')
    for (let i = 0; i < bytes.length; i++) log.write(bytes.subarray(i, i + 1))
    log.close()
    expect(log.lastLines(5)).toEqual(['prêt ✓'])
  })

  it('stops the file at its cap with a note, and still keeps the last lines', () => {
    const file = join(tempDir(), 'chatty.log')
    const log = new ServiceLog(file, [])
    const line = `${'x'.repeat(1023)}\n`
    for (let i = 0; i < MAX_SERVICE_LOG_BYTES / 1024 + 10; i++) log.write(Buffer.from(line))
    log.write(Buffer.from('the end\n'))
    log.close()
    const text = readFileSync(file, 'utf8')
    expect(text.length).toBeLessThanOrEqual(MAX_SERVICE_LOG_BYTES + 200)
    expect(text.endsWith('the rest is not kept\n')).toBe(true)
    expect(log.lastLines(1)).toEqual(['the end'])
  })
})

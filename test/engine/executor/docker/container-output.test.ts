import {describe, expect, it} from 'vitest'

import {MarkerScanner, OutputRouter, stepMarker} from '../../../../src/engine/executor/docker/container-output.js'
import {OUTPUT_READY} from '../../../../src/engine/executor/docker/container-spec.js'
import type {StreamName} from '../../../../src/engine/executor/docker/exec.js'

const never = new Promise<void>(() => undefined)

/** Feeds `text` to a scanner cut at the given offsets; returns what came before the marker and after it. */
function scan(marker: string, text: string, cuts: number[]): {before: string; after?: string} {
  const scanner = new MarkerScanner(Buffer.from(marker))
  let before = ''
  let after: string | undefined
  const bounds = [0, ...cuts, text.length]
  for (let i = 0; i + 1 < bounds.length; i++) {
    const chunk = Buffer.from(text.slice(bounds[i], bounds[i + 1]))
    if (after !== undefined) {
      after += chunk.toString()
      continue
    }
    const result = scanner.push(chunk)
    before += result.before.toString()
    if (result.after !== undefined) after = result.after.toString()
  }
  if (after === undefined) before += scanner.flush().toString()
  return after === undefined ? {before} : {before, after}
}

describe('MarkerScanner', () => {
  const cases = [
    {text: 'hello\n[end]\nrest', before: 'hello\n', after: 'rest'},
    {text: 'no marker here [en', before: 'no marker here [en', after: undefined},
    {text: '[en[en[end]\n', before: '[en[en', after: ''},
    {text: '[end]\n', before: '', after: ''},
    {text: 'x[end]\n[end]\ny', before: 'x', after: '[end]\ny'},
  ]
  for (const {text, before, after} of cases) {
    it(`splits ${JSON.stringify(text)} the same however it is cut`, () => {
      for (let i = 0; i <= text.length; i++) {
        expect(scan('[end]\n', text, [i])).toEqual(after === undefined ? {before} : {before, after})
        for (let j = i; j <= text.length; j++) {
          expect(scan('[end]\n', text, [i, j])).toEqual(after === undefined ? {before} : {before, after})
        }
      }
    })
  }

  it('holds back only a tail that could start the marker', () => {
    const scanner = new MarkerScanner(Buffer.from('[end]\n'))
    expect(scanner.push(Buffer.from('abc[e')).before.toString()).toBe('abc')
    expect(scanner.push(Buffer.from('x')).before.toString()).toBe('[ex')
    expect(scanner.push(Buffer.from('plain')).before.toString()).toBe('plain')
    expect(scanner.flush().length).toBe(0)
  })

  it('makes a different marker for every step', () => {
    const markers = new Set(Array.from({length: 50}, () => stepMarker()))
    expect(markers.size).toBe(50)
    for (const marker of markers) expect(marker).toMatch(/^\[orca:step-end:[0-9a-f]{32}\]$/)
  })
})

function router(): {router: OutputRouter; send: (name: StreamName, text: string) => void} {
  const r = new OutputRouter()
  return {router: r, send: (name, text) => r.receive(name, Buffer.from(text))}
}

function collector(): {listener: (name: StreamName, chunk: Buffer) => void; text: Record<StreamName, string>} {
  const text: Record<StreamName, string> = {stdout: '', stderr: ''}
  return {listener: (name, chunk) => (text[name] += chunk.toString()), text}
}

describe('OutputRouter', () => {
  it('is ready once the handshake line arrived on both streams', async () => {
    const {router: r, send} = router()
    send('stderr', `${OUTPUT_READY}\n`)
    send('stdout', OUTPUT_READY.slice(0, 5))
    send('stdout', `${OUTPUT_READY.slice(5)}\n`)
    expect(await r.ready).toBe(true)
  })

  it('is not ready when the container says steps cannot write to its output, or its output ends first', async () => {
    const refused = router()
    refused.send('stdout', '[orca:output-exec]\n')
    expect(await refused.router.ready).toBe(false)

    const ended = router()
    ended.send('stderr', `${OUTPUT_READY}\n`)
    ended.router.end()
    expect(await ended.router.ready).toBe(false)
  })

  it('gives each step its output up to its marker, and output between steps to the next step', async () => {
    const {router: r, send} = router()
    send('stdout', `${OUTPUT_READY}\n`)
    send('stderr', `${OUTPUT_READY}\nearly\n`)
    await r.ready

    const one = collector()
    const first = r.openStep('[m1]', one.listener)
    send('stdout', 'one\npartial')
    send('stderr', 'one-err\n[m')
    send('stderr', '1]\nbackground-err\n')
    send('stdout', '[m1]\nbackground\n')
    await first.finished(5_000, never)
    expect(one.text).toEqual({stdout: 'one\npartial', stderr: 'early\none-err\n'})

    const two = collector()
    const second = r.openStep('[m2]', two.listener)
    send('stdout', 'two\n[m2]\n')
    send('stderr', '[m2]\nafter the last step\n')
    await second.finished(5_000, never)
    expect(two.text).toEqual({stdout: 'background\ntwo\n', stderr: 'background-err\n'})
  })

  it('ends a step whose marker never comes after the timeout, with the text it held back', async () => {
    const {router: r, send} = router()
    send('stdout', `${OUTPUT_READY}\n`)
    send('stderr', `${OUTPUT_READY}\n`)
    await r.ready
    const out = collector()
    const step = r.openStep('[marker]', out.listener)
    send('stdout', 'text [mark')
    await step.finished(20, never)
    step.close()
    expect(out.text.stdout).toBe('text [mark')
  })

  it('ends the open step when the container output ends', async () => {
    const {router: r, send} = router()
    send('stdout', `${OUTPUT_READY}\n`)
    send('stderr', `${OUTPUT_READY}\n`)
    await r.ready
    const out = collector()
    const step = r.openStep('[marker]', out.listener)
    send('stdout', 'last words')
    r.end()
    await step.finished(60_000, never)
    expect(out.text.stdout).toBe('last words')
    // A step opened after the end does not wait either.
    await r.openStep('[other]', out.listener).finished(60_000, never)
  })
})

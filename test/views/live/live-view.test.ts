import {PassThrough} from 'node:stream'

import type {ReactElement} from 'react'

import {afterEach, describe, expect, it, vi} from 'vitest'

vi.hoisted(() => {
  process.env.CI = 'false'
})

const {cleanup, render} = await import('ink-testing-library')
const {FRAME_MS, LiveView} = await import('../../../src/views/live/live-view.js')
const {diamondEvents} = await import('../../engine/records/diamond-events.js')

// eslint-disable-next-line no-control-regex
const plain = (text: string | undefined): string => (text ?? '').replace(/\u001B\[[0-9;]*m/g, '')

function terminal(): NodeJS.WriteStream & {text: () => string} {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & {text: () => string}
  const chunks: string[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()))
  Object.assign(stream, {isTTY: true, columns: 100, rows: 30, text: () => chunks.join('')})
  return stream
}

function liveView(onCancel = (): void => {}) {
  const stream = terminal()
  let mounted: ReturnType<typeof render> | undefined
  let renders = 0
  const view = new LiveView({
    stream,
    onCancel,
    mount: (node) => {
      mounted = render(node)
      return {
        rerender: (next) => {
          renders++
          mounted!.rerender(next as ReactElement)
        },
        unmount: () => mounted!.unmount(),
        waitUntilExit: () => Promise.resolve(),
      }
    },
  })
  return {view, stream, frame: () => plain(mounted?.lastFrame()), renders: () => renders}
}

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

describe('LiveView', () => {
  it('draws on a timer, not per event, however fast output arrives', () => {
    vi.useFakeTimers()
    const {view, frame, renders} = liveView()
    const events = diamondEvents()
    for (const event of events.slice(0, 9)) view.handle(event)
    expect(frame()).toContain('orca run 20261125T203015123Z-3f9a1c')
    const output = events[8]!
    for (let i = 0; i < 10_000; i++) view.handle({...output, text: `line ${i}\n`} as typeof output)
    expect(renders()).toBe(0)
    vi.advanceTimersByTime(FRAME_MS)
    expect(renders()).toBe(1)
    expect(frame()).toContain('│ line 9999')
    void view.close()
  })

  it('replaces the live frame with a summary that keeps the failures on screen', async () => {
    const {view, stream} = liveView()
    for (const event of diamondEvents()) view.handle(event)
    await view.close()
    const text = plain(stream.text())
    expect(text).toContain('✗ docs: failed (step "render" exited 2), last 1 line:')
    expect(text).toContain('  │ render: missing title')
    expect(text).toContain('5 jobs: 2 succeeded, 1 timed out, 1 failed, 1 skipped; ✗ run failed in 9.8s')
  })

  it('says in the view that the run is being cancelled, then forced', async () => {
    const {view, frame} = liveView()
    for (const event of diamondEvents().slice(0, 5)) view.handle(event)
    view.showCancelling(1)
    expect(frame()).toContain('cancelling the run… press Ctrl-C again to stop containers without waiting')
    view.showCancelling(2)
    expect(frame()).toContain('stopping containers now…')
    await view.close()
  })
})

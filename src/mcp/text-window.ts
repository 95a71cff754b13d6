import type {FileHandle} from 'node:fs/promises'

import type {Redactor} from './redact.js'

/** What part of a text file to show: its last lines (the default), or the bytes from an offset. */
export interface WindowRequest {
  /** The last this many lines (of at most `maxBytes`); ignored when `offset` is given. */
  tailLines?: number
  /** The bytes from here on (at most `maxBytes`), cut at character boundaries. */
  offset?: number
  maxBytes: number
}

/** A piece of a text file, masked, with where it sits in the file (byte offsets). */
export interface TextWindow {
  text: string
  /** First byte shown. */
  offset: number
  /** The byte after the last one shown: `end === totalBytes` means the window reaches the end. */
  end: number
  totalBytes: number
}

/**
 * Reads a window of a text file without reading the rest of it: never more than `maxBytes` shown,
 * cut at UTF-8 character boundaries (a tail also at a line start, when the window holds one), and
 * masked by `redactor`, which is shown enough bytes past the edges to mask a secret they cut.
 */
export async function readTextWindow(file: FileHandle, size: number, request: WindowRequest, redactor: Redactor): Promise<TextWindow> {
  const maxBytes = Math.max(1, Math.floor(request.maxBytes))
  const fromOffset = request.offset !== undefined
  let start = fromOffset ? Math.min(Math.max(0, Math.floor(request.offset!)), size) : Math.max(0, size - maxBytes)
  let end = fromOffset ? Math.min(size, start + maxBytes) : size
  // Up to 4 bytes a character, 3 more to find a boundary.
  const margin = redactor.reach * 4 + 3
  const readFrom = Math.max(0, start - margin)
  const bytes = Buffer.alloc(Math.min(size, end + margin) - readFrom)
  const {bytesRead} = await file.read(bytes, 0, bytes.length, readFrom)
  const buffer = bytes.subarray(0, bytesRead)
  const at = (position: number): number => buffer[position - readFrom] ?? 0
  end = Math.min(end, readFrom + buffer.length)
  start = Math.min(start, end)

  start = charBoundaryAtOrAfter(at, start, end)
  if (end < size) end = charBoundaryAtOrBefore(at, end, start)
  if (!fromOffset) start = tailStart(at, start, end, request.tailLines)

  const outerStart = charBoundaryAtOrAfter(at, readFrom, start)
  const outerEnd = charBoundaryAtOrBefore(at, readFrom + buffer.length, end)
  const slice = (from: number, to: number): string => buffer.subarray(from - readFrom, to - readFrom).toString('utf8')
  const before = slice(outerStart, start)
  const shown = slice(start, end)
  const text = redactor.window(before + shown + slice(end, outerEnd), before.length, before.length + shown.length)
  return {text, offset: start, end, totalBytes: size}
}

/** A UTF-8 continuation byte (0b10xxxxxx) never starts a character. */
function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80
}

function charBoundaryAtOrAfter(at: (position: number) => number, position: number, limit: number): number {
  let p = position
  // A position at the start of the file is always a boundary; at most 3 bytes are skipped.
  while (p > 0 && p < limit && p - position < 3 && isContinuation(at(p))) p++
  return p
}

function charBoundaryAtOrBefore(at: (position: number) => number, position: number, limit: number): number {
  let p = position
  while (p > limit && position - p < 3 && isContinuation(at(p))) p--
  return p
}

/**
 * Where the last `lines` lines within [start, end) begin. A window that does not reach the file's
 * start shows no partial first line, unless that line is all it has.
 */
function tailStart(at: (position: number) => number, start: number, end: number, lines: number | undefined): number {
  const newline = 0x0a
  // A last line without its newline counts as a line; a final newline does not start another.
  let p = end > start && at(end - 1) === newline ? end - 2 : end - 1
  let seen = 0
  const wanted = lines ?? Number.POSITIVE_INFINITY
  for (; p >= start; p--) {
    if (at(p) === newline && ++seen === wanted) return p + 1
  }
  if (start === 0) return 0
  for (let q = start; q < end; q++) if (at(q) === newline) return q + 1 < end ? q + 1 : start
  return start
}

/** How a window's reader is told to read on: the tool and the arguments that name the file. */
export interface ReadOn {
  tool: string
  args: Record<string, unknown>
}

/** Markers for what a window leaves out, each saying how to read that part. */
export function windowMarkers(window: TextWindow, readOn: ReadOn): {before?: string; after?: string} {
  const markers: {before?: string; after?: string} = {}
  if (window.offset > 0) {
    const call = JSON.stringify({...readOn.args, offset: 0})
    markers.before = `[orca: ${bytes(window.offset)} before this not shown (bytes 0-${window.offset} of ${window.totalBytes}); to read from the start call ${readOn.tool} with ${call}]`
  }
  if (window.end < window.totalBytes) {
    const call = JSON.stringify({...readOn.args, offset: window.end})
    markers.after = `[orca: ${bytes(window.totalBytes - window.end)} after this not shown (bytes ${window.end}-${window.totalBytes}); to read on call ${readOn.tool} with ${call}]`
  }
  return markers
}

/** The window's text between its markers, as a reader sees it. */
export function markedText(window: TextWindow, readOn: ReadOn): string {
  const {before, after} = windowMarkers(window, readOn)
  const parts: string[] = []
  if (before) parts.push(`${before}\n`)
  parts.push(window.text)
  if (after) parts.push(`${window.text === '' || window.text.endsWith('\n') ? '' : '\n'}${after}\n`)
  return parts.join('')
}

function bytes(count: number): string {
  return count === 1 ? '1 byte' : `${count.toLocaleString('en-US')} bytes`
}

/** A line longer than this is cut to its end (a progress bar redrawn with `\r` and no newline). */
const MAX_LINE = 4096

/**
 * The last lines of a stream of output chunks, bounded: a step printing millions of lines costs
 * a few string slices per chunk, never a copy of everything it printed.
 */
export class OutputTail {
  private lines: string[] = []
  /** A line still being written (the chunk did not end with a newline). */
  private partial = ''
  private total = 0

  constructor(readonly max: number) {}

  push(text: string): void {
    const lastNewline = text.lastIndexOf('\n')
    if (lastNewline < 0) {
      this.partial = (this.partial + text).slice(-MAX_LINE)
      return
    }
    this.total += countNewlines(text)
    const complete = text.slice(0, lastNewline)
    // Only the last `max` complete lines of a chunk can survive: find where they start, from the end.
    let cut = complete.length
    for (let found = 0; found < this.max; found++) {
      const at = cut <= 0 ? -1 : complete.lastIndexOf('\n', cut - 1)
      if (at < 0) {
        cut = -1
        break
      }
      cut = at
    }
    if (cut < 0) {
      const lines = complete.split('\n')
      lines[0] = this.partial + (lines[0] ?? '')
      for (const line of lines) this.add(line)
    } else {
      for (const line of complete.slice(cut + 1).split('\n')) this.add(line)
    }
    this.partial = text.slice(lastNewline + 1).slice(-MAX_LINE)
  }

  /** The kept lines, oldest first, with a line still being written last. */
  last(n = this.max): string[] {
    const all = this.partial === '' ? this.lines : [...this.lines, this.partial]
    return all.slice(-n).map(cleanLine)
  }

  /** Complete lines seen so far, kept or not. */
  get count(): number {
    return this.total
  }

  private add(line: string): void {
    this.lines.push(line)
    if (this.lines.length > this.max * 2) this.lines = this.lines.slice(-this.max)
  }
}

function countNewlines(text: string): number {
  let n = 0
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++
  return n
}

// CSI/OSC escapes and other control characters, which would move the cursor of whoever shows the line.
// eslint-disable-next-line no-control-regex
const CONTROL = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B.|[\u0000-\u0008\u000B-\u001F\u007F]/g

/** A job's output line made safe to show inside a view: no escapes, no carriage returns, tabs as spaces. */
export function cleanLine(line: string): string {
  const lastReturn = line.replace(/\r+$/, '').lastIndexOf('\r')
  const visible = lastReturn >= 0 ? line.slice(lastReturn + 1) : line
  return visible.replace(CONTROL, '').replace(/\t/g, '  ')
}

/**
 * A job's log as lines, appended to as output arrives: an array that only grows (so a 100k-line log
 * is never copied), and the unfinished last line kept apart until its newline comes.
 */
export class LogLines {
  readonly lines: string[] = []
  private partial = ''

  /** Adds text; a header (orca's own line) always starts on a line of its own, as in logs/<job>.log. */
  append(text: string, header: boolean): this {
    if (header && this.partial !== '') this.newline()
    const parts = text.split('\n')
    this.partial += parts[0] as string
    for (let i = 1; i < parts.length; i++) {
      this.newline()
      this.partial = parts[i] as string
    }
    return this
  }

  /** How many lines there are to show, the unfinished one included. */
  get length(): number {
    return this.lines.length + (this.partial === '' ? 0 : 1)
  }

  line(index: number): string {
    return index < this.lines.length ? (this.lines[index] as string) : this.partial
  }

  private newline(): void {
    this.lines.push(this.partial)
    this.partial = ''
  }
}

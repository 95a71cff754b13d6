import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

/** A fenced code block of a markdown page, with what the line above it says about running it. */
export interface Example {
  /** `docs/ci.md:17`: the page and the line of the opening fence. */
  where: string
  language: string
  text: string
  /** Why the block is not run (`<!-- example: not run — REASON -->` on the line above). */
  notRun?: string
  /** Commands run before the block, not shown to readers (`<!-- example: setup — COMMANDS -->`). */
  setup?: string
}

const FENCE = /^```(\S*)\s*$/
const DIRECTIVE = /^<!--\s*example:\s*(not run|setup)\s*[—–-]\s*(.*?)\s*-->$/

/** The fenced blocks of a page; a directive comment without its part after the dash is an error. */
export function examplesOf(page: string, text: string): Example[] {
  const lines = text.split('\n')
  const out: Example[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (!open) continue
    const start = i
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!));
    const example: Example = {where: `${page}:${start + 1}`, language: open[1]!, text: lines.slice(start + 1, i).join('\n')}
    const above = lines[start - 1]?.trim() ?? ''
    if (above.startsWith('<!--') && /\bexample:/.test(above)) {
      const directive = DIRECTIVE.exec(above)
      if (!directive || !directive[2]) throw new Error(`${page}:${start}: write "<!-- example: not run — why -->" or "<!-- example: setup — commands -->"`)
      if (directive[1] === 'not run') example.notRun = directive[2]
      else example.setup = directive[2]
    }
    out.push(example)
  }
  return out
}

/** The pages whose examples are checked: the README and docs/, without docs/cli.md (generated from the commands). */
export function documentationPages(root: string): Array<{page: string; text: string}> {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md') && f !== 'cli.md')
    .sort()
    .map((f) => `docs/${f}`)
  return ['README.md', ...docs].map((page) => ({page, text: readFileSync(join(root, page), 'utf8')}))
}

/** Shell blocks: `bash`/`sh`/`shell` as they are, `console` by their `$ ` lines. */
export function shellCommands(example: Example): string | undefined {
  if (['bash', 'sh', 'shell'].includes(example.language)) return example.text
  if (example.language === 'console') {
    return example.text
      .split('\n')
      .filter((l) => l.startsWith('$ '))
      .map((l) => l.slice(2))
      .join('\n')
  }
  return undefined
}

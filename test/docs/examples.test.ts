import {describe, expect, it} from 'vitest'

import {examplesOf, shellCommands} from './examples.js'

describe('examplesOf (the examples of a documentation page)', () => {
  const page = [
    '# Title',
    '',
    '```bash',
    'orca init',
    '```',
    '<!-- example: not run — starts a server that runs until stopped -->',
    '```bash',
    'orca serve',
    '```',
    '<!-- example: setup — mkdir -p ~/p -->',
    '```console',
    '$ cd ~/p && orca init',
    'wrote jobs.yml',
    '```',
    '```yaml',
    'version: 1',
    '```',
  ].join('\n')

  it('finds each fenced block with its line, language and the directive above it', () => {
    const examples = examplesOf('docs/x.md', page)
    expect(examples.map((e) => [e.where, e.language, e.notRun, e.setup])).toEqual([
      ['docs/x.md:3', 'bash', undefined, undefined],
      ['docs/x.md:7', 'bash', 'starts a server that runs until stopped', undefined],
      ['docs/x.md:11', 'console', undefined, 'mkdir -p ~/p'],
      ['docs/x.md:15', 'yaml', undefined, undefined],
    ])
    expect(examples.map(shellCommands)).toEqual(['orca init', 'orca serve', 'cd ~/p && orca init', undefined])
  })

  it('refuses a directive without its reason or commands, or one it does not know', () => {
    expect(() => examplesOf('docs/x.md', '<!-- example: not run -->\n```bash\nx\n```')).toThrow('docs/x.md:1: write "<!-- example: not run — why -->"')
    expect(() => examplesOf('docs/x.md', '<!-- example: skip — later -->\n```bash\nx\n```')).toThrow('docs/x.md:1')
  })
})

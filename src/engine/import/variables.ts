/** Variables a CI file reads that it does not define: the CI's own (mapped or listed), or the project's settings. */

/** Shell and system variables every image has: never a CI setting. */
const SHELL_VARIABLES = new Set(['HOME', 'PATH', 'PWD', 'OLDPWD', 'USER', 'SHELL', 'HOSTNAME', 'RANDOM', 'IFS', 'LANG', 'TERM', 'UID', 'EUID', 'PPID', 'SECONDS', 'LINENO', 'TMPDIR', 'OSTYPE', 'BASH_SOURCE', 'PIPESTATUS', 'REPLY', 'OPTARG', 'OPTIND', 'LC_ALL'])

const REFERENCE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g

/** Names a shell text reads as `$NAME` or `${NAME…}` (not `$$NAME`, the CI's escape). */
export function variablesRead(text: string): string[] {
  const names = new Set<string>()
  for (const m of text.matchAll(REFERENCE)) {
    if (m.index > 0 && text[m.index - 1] === '$') continue
    names.add(m[1]!)
  }
  return [...names]
}

/** Names a shell text sets itself (`NAME=…`, `export NAME`, `read NAME`, `for NAME in`). */
export function variablesSet(text: string): Set<string> {
  const names = new Set<string>()
  for (const m of text.matchAll(/(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=/g)) names.add(m[1]!)
  for (const m of text.matchAll(/\b(?:export|read|for|local)\s+(?:-\w+\s+)*([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!)
  return names
}

/** A name that looks like a setting (upper case), not a shell's own. */
export function looksLikeSetting(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name) && !SHELL_VARIABLES.has(name)
}

/**
 * Replaces `$NAME`/`${NAME}` of known variables in a value (GitLab expands variables inside
 * variables; orca's env values are literal). Unknown names stay as written. `$$` is GitLab's `$` (and becomes one).
 */
export function expandKnown(text: string, known: (name: string) => string | undefined, depth = 0): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$'
    const value = known((braced ?? bare)!)
    if (value === undefined) return whole
    return depth < 10 ? expandKnown(value, known, depth + 1) : value
  })
}

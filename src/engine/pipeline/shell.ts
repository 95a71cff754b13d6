/** `shell:` of a job or step: the program its `run` text is given to. */
export const DEFAULT_SHELL = 'sh'

/** The placeholder of a custom shell: the path of a file holding the step's text (GitHub Actions' spelling). */
export const SCRIPT_PLACEHOLDER = '{0}'

/** How a step's text is run: as `-c` text of a shell, or written to a file whose path the command names. */
export type ShellInvocation =
  | {kind: 'text'; program: string; argv: string[]}
  | {kind: 'file'; program: string; argv: string[]; file: string}

/**
 * The command line of `shell` for `run`: sh is `sh -e -c RUN` (it stops at its first failing command),
 * bash adds pipefail as GitHub Actions' bash does, and a template has `{0}` replaced by `scriptFile`
 * (split at spaces, no quoting: the words are passed as they are).
 */
export function shellInvocation(shell: string, run: string, scriptFile: string): ShellInvocation {
  if (shell === 'sh') return {kind: 'text', program: 'sh', argv: ['sh', '-e', '-c', run]}
  if (shell === 'bash') return {kind: 'text', program: 'bash', argv: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', run]}
  const argv = shell
    .trim()
    .split(/\s+/)
    .map((word) => word.replaceAll(SCRIPT_PLACEHOLDER, scriptFile))
  return {kind: 'file', program: argv[0]!, argv, file: scriptFile}
}

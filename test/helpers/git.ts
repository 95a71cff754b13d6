import {execFileSync} from 'node:child_process'

/** git as tests run it: no user or system configuration (a developer's global excludes must not change a listing). */
export const GIT_ENV: NodeJS.ProcessEnv = {...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0'}

/** Runs `git ARGS` in `cwd` with a fixed author; returns stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=test@orca.invalid', '-c', 'user.name=orca test', '-c', 'protocol.file.allow=always', '-c', 'init.defaultBranch=main', '-c', 'gc.auto=0', ...args], {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** What git itself lists in `cwd`: tracked files and untracked ones it does not ignore, sorted. */
export function gitListing(cwd: string): string[] {
  return git(cwd, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean).sort()
}

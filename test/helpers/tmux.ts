import {execFileSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach} from 'vitest'

import {ORCA_BIN} from '../e2e/cli.js'

/** A program running in a real terminal: a detached tmux session of a fixed size on its own server. */
export interface Terminal {
  /** Types `keys` (tmux key names, e.g. `Enter`, are sent with `key`). */
  type(text: string): void
  key(name: string): void
  /** What the terminal shows, its scrollback included, blank lines dropped. */
  screen(): string
  /** Waits (generously) until the screen matches `pattern`; throws with the screen when it never does. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
}

function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
}

/**
 * Terminals for the tests of one file: `terminal(cwd, command)` starts `command` (a shell line) in a
 * new tmux server of its own; after each test every server made is killed. The line ends by printing
 * `[exit N]` and staying on screen, so a test reads the exit code of what it ran.
 */
export function terminalsPerTest(): (cwd: string, command: string, env?: Record<string, string>) => Terminal {
  const sockets: string[] = []
  afterEach(() => {
    for (const socket of sockets.splice(0)) {
      try {
        tmux(socket, 'kill-server')
      } catch {
        // Already gone.
      }
      // A killed server may leave its socket file behind.
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), {force: true})
    }
  })
  return (cwd, command, env = {}) => {
    const socket = `orca-test-${process.pid}-${Math.random().toString(36).slice(2)}`
    sockets.push(socket)
    // Not a CI, whatever runs the suite: the live view is what a person at a terminal sees.
    const exports = Object.entries({NO_COLOR: '1', ...env}).map(([k, v]) => `export ${k}='${v}';`)
    const line = `unset CI GITHUB_ACTIONS GITLAB_CI GITHUB_STEP_SUMMARY; ${exports.join(' ')} ${command}; echo "[exit $?]"; sleep 600`
    tmux(socket, 'new-session', '-d', '-s', 'test', '-x', '120', '-y', '40', '-c', cwd, 'sh', '-c', line)
    const screen = (): string =>
      tmux(socket, 'capture-pane', '-p', '-J', '-S', '-2000', '-t', 'test')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .join('\n')
    return {
      type: (text) => void tmux(socket, 'send-keys', '-t', 'test', '-l', text),
      key: (name) => void tmux(socket, 'send-keys', '-t', 'test', name),
      screen,
      async waitFor(pattern, timeoutMs = 45_000) {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const shown = screen()
          if (pattern.test(shown)) return shown
          if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${shown}`)
          await sleep(200)
        }
      },
    }
  }
}

/** The shell line that runs the built CLI. */
export function orcaLine(args: string): string {
  return `'${process.execPath}' '${ORCA_BIN}' ${args}`
}

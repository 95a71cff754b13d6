import {spawn, type ChildProcess} from 'node:child_process'

import {ORCA_BIN} from './cli.js'

export interface ServeProcess {
  child: ChildProcess
  url: string
  port: number
  /** Everything it printed on stderr so far. */
  stderr: () => string
  exit: Promise<{code: number | null; stderr: string}>
}

/** Starts the built `orca serve --port 0` in `dir` and resolves with the URL it prints; the caller kills it. */
export function startServe(dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [ORCA_BIN, 'serve', '--port', '0', ...args], {cwd: dir, env: {...process.env, ORCA_TOKEN: '', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exit = new Promise<{code: number | null; stderr: string}>((resolve) => child.on('close', (code) => resolve({code, stderr})))
  return new Promise((resolve, reject) => {
    let stdout = ''
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString()
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1]
      if (url) resolve({child, url, port: Number(new URL(url).port), stderr: () => stderr, exit})
    })
    void exit.then(({code}) => reject(new Error(`orca serve exited with ${code}: ${stderr}`)))
  })
}

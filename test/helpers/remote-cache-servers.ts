import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {connect, createServer, type AddressInfo, type Socket} from 'node:net'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** A remote cache server this test started (a child process on a random loopback port) and owns. */
export interface CacheServer {
  kind: 'turbo' | 's3'
  /** What orca's cache.remote is set to (ORCA_REMOTE_CACHE_* variables). */
  env: Record<string, string>
  /** The server's own storage folder. */
  storage: string
  /** Kills the server at once (SIGKILL): a crash in the middle of whatever it was doing. */
  kill(): void
  /** Stops the server and removes its storage. */
  stop(): Promise<void>
}

export const TURBO_TOKEN = 'orca-test-token'
export const S3_BUCKET = 'orca-cache'
const require = createRequire(import.meta.url)

/** turborepo-remote-cache with local storage and a static token. */
export function startTurboServer(): Promise<CacheServer> {
  const storage = mkdtempSync(join(tmpdir(), 'orca-turbo-'))
  const cli = join(dirname(require.resolve('turborepo-remote-cache/package.json')), 'dist/cli.js')
  const child = spawn(process.execPath, [cli], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      TURBO_TOKEN,
      STORAGE_PROVIDER: 'local',
      STORAGE_PATH: storage,
      STORAGE_PATH_USE_TMP_FOLDER: 'false',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return listening(child, /Server listening at http:\/\/127\.0\.0\.1:(\d+)/, storage, (port) => ({
    kind: 'turbo',
    env: {ORCA_REMOTE_CACHE_URL: `http://127.0.0.1:${port}`, ORCA_REMOTE_CACHE_TOKEN: TURBO_TOKEN, ORCA_REMOTE_CACHE_TEAM: 'orca-tests'},
  }))
}

/** s3rver with one bucket; orca reaches it as any S3-compatible endpoint. */
export function startS3Server(): Promise<CacheServer> {
  const storage = mkdtempSync(join(tmpdir(), 'orca-s3-'))
  const script = join(dirname(fileURLToPath(import.meta.url)), 's3rver-process.mjs')
  const child = spawn(process.execPath, [script, storage, S3_BUCKET], {stdio: ['ignore', 'pipe', 'pipe']})
  return listening(child, /listening (\d+)/, storage, (port) => ({
    kind: 's3',
    env: {
      ORCA_REMOTE_CACHE_URL: `s3://${S3_BUCKET}/ci`,
      ORCA_REMOTE_CACHE_ENDPOINT: `http://127.0.0.1:${port}`,
      // s3rver's fixed credentials.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    },
  }))
}

function listening(child: ChildProcess, line: RegExp, storage: string, describe: (port: number) => Pick<CacheServer, 'kind' | 'env'>): Promise<CacheServer> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail(new Error(`the cache server did not start:\n${output}`)), 20_000)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      rmSync(storage, {recursive: true, force: true})
      reject(error)
    }
    const read = (data: Buffer): void => {
      output += data.toString()
      const port = line.exec(output)?.[1]
      if (port === undefined) return
      clearTimeout(timer)
      child.stdout?.off('data', read)
      child.stdout?.resume()
      child.stderr?.resume()
      resolve({
        ...describe(Number(port)),
        storage,
        kill: () => child.kill('SIGKILL'),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
          rmSync(storage, {recursive: true, force: true})
        },
      })
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()))
    child.once('exit', (code) => fail(new Error(`the cache server exited (${code}):\n${output}`)))
  })
}

/**
 * A loopback TCP proxy in front of a cache server that kills the server (SIGKILL) and drops every
 * connection once `afterBytes` have passed in one direction: a crash in the middle of a transfer.
 */
export async function killMidTransfer(server: CacheServer, direction: 'upload' | 'download', afterBytes: number): Promise<{env: Record<string, string>; close: () => void}> {
  const target = new URL(server.kind === 'turbo' ? server.env.ORCA_REMOTE_CACHE_URL! : server.env.ORCA_REMOTE_CACHE_ENDPOINT!)
  const sockets = new Set<Socket>()
  let passed = 0
  let killed = false
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    sockets.add(client).add(upstream)
    const count = (chunk: Buffer): void => {
      passed += chunk.length
      if (passed < afterBytes || killed) return
      killed = true
      server.kill()
      for (const socket of sockets) socket.destroy()
    }
    ;(direction === 'upload' ? client : upstream).on('data', count)
    client.pipe(upstream).on('error', () => undefined)
    upstream.pipe(client).on('error', () => undefined)
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined)
      socket.on('close', () => sockets.delete(socket))
    }
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  return {
    env: server.kind === 'turbo' ? {...server.env, ORCA_REMOTE_CACHE_URL: url} : {...server.env, ORCA_REMOTE_CACHE_ENDPOINT: url},
    close: () => {
      for (const socket of sockets) socket.destroy()
      proxy.close()
    },
  }
}

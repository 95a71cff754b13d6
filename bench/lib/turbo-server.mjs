// Starts turborepo-remote-cache (a devDependency) on a random loopback port with local storage.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import path from 'node:path'

export const TOKEN = 'orca-bench-token'

/** {url, storage, stop()}: the server's base URL, its storage folder (`<storage>/<team>/<artifact id>`) and a stop that also removes it. */
export async function startTurboServer() {
  const storage = mkdtempSync(path.join(tmpdir(), 'orca-bench-turbo-'))
  const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('turborepo-remote-cache/package.json')), 'dist/cli.js')
  const child = spawn(process.execPath, [cli], {
    env: {...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', TURBO_TOKEN: TOKEN, STORAGE_PROVIDER: 'local', STORAGE_PATH: storage, STORAGE_PATH_USE_TMP_FOLDER: 'false', LOG_LEVEL: 'info', ENABLE_STATUS_LOG: 'false'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const port = await new Promise((resolve, reject) => {
    let output = ''
    const read = (data) => {
      output += data
      const found = /listening at http:\/\/127\.0\.0\.1:(\d+)/i.exec(output)
      if (!found) return
      // Its request log keeps coming: drained, not kept.
      child.stdout.off('data', read).resume()
      child.stderr.off('data', read).resume()
      resolve(Number(found[1]))
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.once('exit', (code) => reject(new Error(`turborepo-remote-cache exited (${code}):\n${output}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    storage,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
      rmSync(storage, {recursive: true, force: true})
    },
  }
}

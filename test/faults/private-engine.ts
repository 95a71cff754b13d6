import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, openSync, rmSync} from 'node:fs'
import {join} from 'node:path'

/**
 * A second Docker engine of our own (its own data root, exec root and socket, no bridge, no iptables),
 * so stopping or freezing it mid-run disturbs nothing else on the machine: not the shared engine,
 * not other people's containers.
 */
export class PrivateEngine {
  readonly root: string
  readonly host: string
  private daemon?: ChildProcess

  private constructor() {
    // Short: unix socket paths under it must stay under 108 bytes.
    this.root = mkdtempSync('/tmp/orca-fe-')
    this.host = `unix://${join(this.root, 'docker.sock')}`
  }

  /** Starts the engine and loads the given images from the shared engine into it. */
  static async create(images: string[]): Promise<PrivateEngine> {
    const engine = new PrivateEngine()
    await engine.start()
    execFileSync('bash', ['-c', `docker save ${images.join(' ')} | docker -H ${engine.host} load`], {stdio: 'ignore'})
    return engine
  }

  async start(): Promise<void> {
    const log = openSync(join(this.root, 'dockerd.log'), 'a')
    const args = [
      `--data-root=${join(this.root, 'data')}`,
      `--exec-root=${join(this.root, 'exec')}`,
      `--pidfile=${join(this.root, 'docker.pid')}`,
      `--host=${this.host}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
    ]
    // In a network namespace of its own: with --bridge=none dockerd deletes `docker0`, and in the
    // host's namespace that would be the shared engine's bridge.
    this.daemon = spawn('unshare', ['--net', '--', 'dockerd', ...args], {stdio: ['ignore', log, log]})
    for (let i = 0; i < 120; i++) {
      if (this.answers()) return
      if (this.daemon.exitCode !== null) break
      await sleep(250)
    }
    throw new Error(`the private engine did not start; see ${join(this.root, 'dockerd.log')}`)
  }

  answers(): boolean {
    try {
      execFileSync('docker', ['-H', this.host, 'version', '--format', '{{.Server.Version}}'], {stdio: 'ignore', timeout: 5_000})
      return true
    } catch {
      return false
    }
  }

  /** SIGSTOP: the daemon keeps its sockets open and answers nothing. */
  freeze(): void {
    this.daemon?.kill('SIGSTOP')
  }

  thaw(): void {
    this.daemon?.kill('SIGCONT')
  }

  /** A normal shutdown (SIGTERM): the daemon stops every container, then exits. */
  async stop(): Promise<void> {
    const daemon = this.daemon
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return
    const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()))
    daemon.kill('SIGCONT')
    daemon.kill('SIGTERM')
    await Promise.race([exited, sleep(45_000)])
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGKILL')
      await exited
    }
  }

  /** Orca-labelled containers in this engine (kept ones included). */
  labelledContainers(): string[] {
    const out = execFileSync('docker', ['-H', this.host, 'ps', '-aq', '--filter', 'label=orca.managed=true'], {encoding: 'utf8'})
    return out.split('\n').filter(Boolean)
  }

  /** Removes everything: containers, the daemon, its folders. Safe to call in any state. */
  async destroy(): Promise<void> {
    this.thaw()
    if (this.answers()) {
      const all = execFileSync('docker', ['-H', this.host, 'ps', '-aq'], {encoding: 'utf8'}).split('\n').filter(Boolean)
      try {
        if (all.length > 0) execFileSync('docker', ['-H', this.host, 'rm', '-f', '-v', ...all], {stdio: 'ignore'})
      } catch {
        // One the engine is removing itself (AutoRemove) fails the call; it goes with the daemon's folders anyway.
      }
    }
    await this.stop()
    try {
      rmSync(this.root, {recursive: true, force: true})
    } catch {
      // a mount the daemon did not release: left in /tmp
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

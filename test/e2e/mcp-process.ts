import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {ReadBuffer, serializeMessage} from '@modelcontextprotocol/sdk/shared/stdio.js'
import type {Transport} from '@modelcontextprotocol/sdk/shared/transport.js'
import type {JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js'

import {NEUTRAL_ENV, ORCA_BIN} from './cli.js'

/** The built `orca mcp` in a child process and an MCP client talking to it over its stdin/stdout. */
export interface McpProcess {
  client: Client
  child: ChildProcessWithoutNullStreams
  /** Everything it wrote on stdout, exactly: only protocol messages may be there. */
  stdout: () => string
  stderr: () => string
  /** What the client could not parse or handle: nothing, when stdout holds only the protocol. */
  errors: Error[]
  exit: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

/**
 * The client side of stdio, as the SDK's StdioClientTransport frames it, over a child this test
 * spawned itself: the test keeps the exit code and the raw stdout. `close()` ends the child's stdin,
 * as a client that disconnects does.
 */
class ChildStdioTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void
  private readonly buffer = new ReadBuffer()

  constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  async start(): Promise<void> {
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk)
      for (;;) {
        let message: JSONRPCMessage | null
        try {
          message = this.buffer.readMessage()
        } catch (error) {
          this.onerror?.(error as Error)
          continue
        }
        if (message === null) break
        this.onmessage?.(message)
      }
    })
    this.child.on('close', () => this.onclose?.())
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => this.child.stdin.write(serializeMessage(message), (error) => (error ? reject(error) : resolve())))
  }

  async close(): Promise<void> {
    this.child.stdin.end()
  }
}

/** Starts `orca mcp` in `dir` and connects a client (its tools listed, so their output schemas are checked). */
export async function startMcp(dir: string, options: {env?: NodeJS.ProcessEnv; args?: string[]} = {}): Promise<McpProcess> {
  const child = spawn(process.execPath, [ORCA_BIN, 'mcp', ...(options.args ?? [])], {
    cwd: dir,
    env: {...process.env, ...NEUTRAL_ENV, NO_COLOR: '1', ...options.env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, signal) => resolve({code, signal})))
  const errors: Error[] = []
  const client = new Client({name: 'orca-e2e', version: '1.0.0'})
  client.onerror = (error) => errors.push(error)
  await client.connect(new ChildStdioTransport(child))
  await client.listTools()
  return {client, child, stdout: () => stdout, stderr: () => stderr, errors, exit}
}

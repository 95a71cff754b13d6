import {Readable} from 'node:stream'

import {RemoteError, type RemoteBackend, type RemoteObject} from '../../src/engine/cache/remote/backend.js'

/** An in-memory RemoteBackend (the interface's contract, not a server) that counts what crosses it and can be made to fail. */
export class MemoryBackend implements RemoteBackend {
  readonly description = 'memory'
  readonly objects = new Map<string, Buffer>()
  readonly requests: string[] = []
  failing = false
  private name(object: RemoteObject): string {
    if (object.kind === 'blob') return `blob/${object.sha256}`
    if (object.kind === 'volume') return `volume/${object.namespace}/${object.key}`
    if (object.kind === 'bundle') return `bundle/${object.namespace}/${object.key}`
    return object.kind === 'pack' ? `pack/${object.id}` : `entry/${object.namespace}/${object.key}`
  }
  private check(op: string, object: RemoteObject): void {
    this.requests.push(`${op} ${this.name(object)}`)
    if (this.failing) throw new RemoteError('connection refused', true)
  }
  async get(object: RemoteObject): Promise<Readable | undefined> {
    this.check('GET', object)
    const bytes = this.objects.get(this.name(object))
    return bytes && Readable.from([bytes])
  }
  async has(object: RemoteObject): Promise<boolean> {
    this.check('HEAD', object)
    return this.objects.has(this.name(object))
  }
  async put(object: RemoteObject, body: Buffer): Promise<void> {
    this.check('PUT', object)
    this.objects.set(this.name(object), Buffer.from(body))
  }
}


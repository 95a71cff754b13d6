import type {Readable} from 'node:stream'

import {RemoteError, type RemoteBackend, type RemoteObject} from './backend.js'

export interface S3Settings {
  bucket: string
  /** Folder inside the bucket, without slashes at its ends ('' for the top). */
  prefix: string
  /** Another S3-compatible service (MinIO, R2, Ceph): its URL; addressed by path, as they expect. */
  endpoint?: string
  region?: string
}

/**
 * Any S3-compatible store through @aws-sdk/client-s3, which is imported only here, when a remote
 * cache is configured: a run without one never loads it. Credentials come from the SDK's usual
 * chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, an instance role).
 * Objects: `<prefix>/blobs/<ab>/<sha256>`, `<prefix>/packs/<ab>/<id>`, `<prefix>/<namespace>/entries/<key>.json`,
 * an entry's bundle `<prefix>/<namespace>/bundles/<key>`
 * and a keyed volume's `<prefix>/<namespace>/volumes/<key>.json`.
 */
export async function s3Backend(settings: S3Settings): Promise<RemoteBackend> {
  const s3 = await import('@aws-sdk/client-s3')
  const client = new s3.S3Client({
    region: settings.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(settings.endpoint ? {endpoint: settings.endpoint, forcePathStyle: true} : {}),
    // Retries and their backoff are orca's (bounded by cache.remote.retries and timeout).
    maxAttempts: 1,
  })
  const keyOf = (object: RemoteObject): string => {
    const name =
      object.kind === 'blob'
        ? `blobs/${object.sha256.slice(0, 2)}/${object.sha256}`
        : object.kind === 'pack'
          ? `packs/${object.id.slice(0, 2)}/${object.id}`
          : object.kind === 'bundle'
            ? `${object.namespace}/bundles/${object.key}`
            : `${object.namespace}/${object.kind === 'volume' ? 'volumes' : 'entries'}/${object.key}.json`
    return settings.prefix ? `${settings.prefix}/${name}` : name
  }
  const failed = (action: string, object: RemoteObject, error: unknown): RemoteError => {
    const status = (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
    const retryable = status === undefined || status >= 500 || status === 429
    const what = (error as Error).name === 'AbortError' ? 'timed out' : `${(error as Error).name}${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`
    return new RemoteError(`${action} ${keyOf(object)}: ${what}`, retryable, {cause: error})
  }
  const absent = (error: unknown): boolean => {
    const name = (error as Error).name
    return name === 'NoSuchKey' || name === 'NotFound' || (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode === 404
  }
  return {
    description: `S3 s3://${settings.bucket}/${settings.prefix}${settings.endpoint ? ` at ${settings.endpoint}` : ''}`,
    async get(object, signal) {
      try {
        const output = await client.send(new s3.GetObjectCommand({Bucket: settings.bucket, Key: keyOf(object)}), {abortSignal: signal})
        return output.Body as Readable
      } catch (error) {
        if (absent(error)) return undefined
        throw failed('GET', object, error)
      }
    },
    async has(object, signal) {
      try {
        await client.send(new s3.HeadObjectCommand({Bucket: settings.bucket, Key: keyOf(object)}), {abortSignal: signal})
        return true
      } catch (error) {
        if (absent(error)) return false
        throw failed('HEAD', object, error)
      }
    },
    async put(object, body, signal) {
      try {
        await client.send(new s3.PutObjectCommand({Bucket: settings.bucket, Key: keyOf(object), Body: body, ContentLength: body.length}), {abortSignal: signal})
      } catch (error) {
        throw failed('PUT', object, error)
      }
    },
    close: () => client.destroy(),
  }
}

import type {RemoteCache, RemoteLookup} from './remote/remote-cache.js'
import type {CacheStore, EntryMeta} from './store.js'

/**
 * Where the entry under a key can be had: the local cache, the remote one (then downloaded, checked
 * and stored locally, so it restores as a local hit), or nowhere. `remote` tells what the remote
 * said when it was asked, including why an entry there was not used.
 */
export type EntryLookup =
  | {source: 'local'; meta: EntryMeta}
  | {source: 'remote'; meta: EntryMeta; remote: Extract<RemoteLookup, {result: 'hit'}>}
  | {source: 'miss'; remote?: Exclude<RemoteLookup, {result: 'hit'}>; local?: {status: 'corrupt' | 'untrusted'; reason: string}}

/** Looks a key up locally, then (on a local miss) on the remote cache when there is one. Never throws for the remote. */
export async function lookupEntry(key: string, store: CacheStore, remote?: RemoteCache): Promise<EntryLookup> {
  const local = store.read(key)
  if (local.status === 'found') return {source: 'local', meta: local.meta}
  const localProblem = local.status === 'absent' ? undefined : {local}
  if (remote === undefined) return {source: 'miss', ...localProblem}
  const found = await remote.lookup(key)
  if (found.result === 'hit') return {source: 'remote', meta: found.meta, remote: found}
  return {source: 'miss', remote: found, ...localProblem}
}

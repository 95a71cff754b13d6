import type Docker from 'dockerode'
import {OrcaError} from '../../errors.js'
import {withTimeout} from './call.js'

/**
 * The user a job's steps run as: its `user:`, else its image's own USER ('' when neither names one:
 * root). Image users are looked up once per image ID (`cache`).
 */
export async function jobUser(docker: Docker, user: string | undefined, imageId: string, cache: Map<string, Promise<string>>): Promise<string> {
  if (user !== undefined) return user
  let imageUser = cache.get(imageId)
  if (imageUser === undefined) {
    imageUser = withTimeout(docker.getImage(imageId).inspect(), `inspect image ${imageId}`).then((info) => info.Config?.User ?? '')
    // A failed inspection is not remembered: the next job asks again.
    imageUser.catch(() => cache.delete(imageId))
    cache.set(imageId, imageUser)
  }
  return imageUser
}

/** True for root by name or number (`''`, `root`, `0`, `0:0`, `root:staff`...): files it gets need no owner. */
export function isRootUser(user: string): boolean {
  const name = user.split(':')[0]!
  return name === '' || name === 'root' || name === '0'
}

/**
 * The numeric owner of `user` (`name`, `uid`, `name:group`, `uid:gid`...) by the container's own
 * /etc/passwd and /etc/group, as the engine resolves it for the steps. The engine's own copy option
 * for this (copyUIDGID) looks names up on the host's databases instead, so orca reads the container's.
 */
export async function containerOwner(user: string, read: (file: string) => Promise<string>): Promise<{uid: number; gid: number}> {
  const [name, group] = user.split(':') as [string, string | undefined]
  const passwd = /^\d+$/.test(name) ? undefined : await read('/etc/passwd').catch(() => '')
  const groups = group === undefined || /^\d+$/.test(group) ? undefined : await read('/etc/group').catch(() => '')
  return ownerFromDatabases(user, passwd ?? '', groups ?? '')
}

/** `containerOwner` over the text of the two files. */
export function ownerFromDatabases(user: string, passwd: string, groups: string): {uid: number; gid: number} {
  const [name, group] = user.split(':') as [string, string | undefined]
  const lookup = (text: string, key: string): string[] | undefined => text.split('\n').map((line) => line.split(':')).find((fields) => fields[0] === key && fields.length >= 3)
  let uid: number
  let primaryGid: number | undefined
  if (/^\d+$/.test(name)) {
    uid = Number(name)
  } else {
    const entry = lookup(passwd, name)
    if (!entry || !/^\d+$/.test(entry[2]!) || !/^\d+$/.test(entry[3] ?? '')) throw new OrcaError('config', `user "${name}" is not in the image's /etc/passwd`, {hint: 'give user: as uid:gid, or use a name the image defines'})
    uid = Number(entry[2])
    primaryGid = Number(entry[3])
  }
  if (group === undefined) return {uid, gid: primaryGid ?? uid}
  if (/^\d+$/.test(group)) return {uid, gid: Number(group)}
  const entry = lookup(groups, group)
  if (!entry || !/^\d+$/.test(entry[2]!)) throw new OrcaError('config', `group "${group}" is not in the image's /etc/group`, {hint: 'give user: as uid:gid, or use a group the image defines'})
  return {uid, gid: Number(entry[2])}
}

/** Links followed in one resolution before it counts as a loop (Linux allows 40). */
const MAX_HOPS = 40

interface TreeEntry {
  path: string
  type: string
  target?: string
}

/**
 * The links of a tree that lead outside it when followed the way the kernel would on the host:
 * absolute targets, `..` climbing above the root (also through other links of the tree), and loops.
 * Paths not in the tree are plain names: on the host they are never links, since orca writes only
 * the entries given.
 */
export function linksOutsideTree<T extends TreeEntry>(entries: readonly T[]): T[] {
  const links = new Map<string, string>()
  for (const entry of entries) if (entry.type === 'symlink') links.set(entry.path, entry.target ?? '')
  const outside: T[] = []
  for (const entry of entries) {
    if (entry.type === 'symlink' && !staysInside(entry.path, entry.target ?? '', links)) outside.push(entry)
  }
  return outside
}

function staysInside(linkPath: string, target: string, links: ReadonlyMap<string, string>): boolean {
  if (target.startsWith('/')) return false
  // The folder holding the link: a target resolves from there.
  const at = linkPath.split('/').slice(0, -1)
  const pending = target.split('/')
  let hops = 0
  while (pending.length > 0) {
    const segment = pending.shift() as string
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (at.length === 0) return false
      at.pop()
      continue
    }
    const next = at.length === 0 ? segment : `${at.join('/')}/${segment}`
    const linked = links.get(next)
    if (linked === undefined) {
      at.push(segment)
      continue
    }
    if (++hops > MAX_HOPS || linked.startsWith('/')) return false
    // A link resolves from its own folder, which is where `at` already is.
    pending.unshift(...linked.split('/'))
  }
  return true
}

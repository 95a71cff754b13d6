/** Names and values of CI files made into what jobs.yml accepts. */

/** A job, service or volume name orca accepts: lowercase, other characters turned into `-`. */
export function orcaName(name: string, fallback = 'job'): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
  return cleaned === '' ? fallback : cleaned
}

/** Gives each CI job a distinct orca name, remembering the original's for `needs`. */
export class JobNames {
  private readonly byOriginal = new Map<string, string>()
  private readonly taken = new Set<string>()

  add(original: string): string {
    const base = orcaName(original)
    let name = base
    for (let n = 2; this.taken.has(name); n++) name = `${base}-${n}`
    this.taken.add(name)
    this.byOriginal.set(original, name)
    return name
  }

  get(original: string): string | undefined {
    return this.byOriginal.get(original)
  }
}

const UNITS: Record<string, string> = {s: 's', sec: 's', secs: 's', second: 's', seconds: 's', m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm', h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h', d: 'd', day: 'd', days: 'd'}

/** GitLab's human durations (`1h 30m`, `3 hours`, `90 minutes`, `3600`) as orca's (`1h30m`); undefined when unreadable. */
export function gitlabDuration(text: unknown): string | undefined {
  if (typeof text === 'number' && text > 0) return `${Math.round(text)}s`
  if (typeof text !== 'string') return undefined
  const value = text.trim().toLowerCase()
  if (/^\d+$/.test(value)) return `${value}s`
  const parts = [...value.matchAll(/(\d+)\s*([a-z]+)/g)]
  if (parts.length === 0 || value.replace(/(\d+)\s*([a-z]+)/g, '').replace(/\s|and|,/g, '') !== '') return undefined
  let out = ''
  for (const [, amount, unit] of parts) {
    const orcaUnit = UNITS[unit!]
    if (orcaUnit === undefined) return undefined
    out += `${amount}${orcaUnit}`
  }
  return out === '' ? undefined : out
}

/** A CI artifact path (a folder written `dist/`, a file, a glob) as orca artifact globs under the workdir. */
export function artifactGlobs(path: string, projectDirVariables: RegExp): string[] {
  let p = path.replace(projectDirVariables, '').replace(/^\.\//, '').replace(/^\/+/, '')
  if (p === '' || p === '.') return ['**']
  if (p.endsWith('/')) return [`${p.replace(/\/+$/, '')}/**`]
  p = p.replace(/\/+$/, '')
  // A name without wildcards may be a file or a folder, as in both CIs.
  return /[*?[{]/.test(p) ? [p] : [p, `${p}/**`]
}

/** A volume name from a cache path: letters, digits, `_`, `.` and `-`. */
export function volumeName(prefix: string, path: string): string {
  const slug = path.replace(/^[~./]+/, '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '')
  return `${prefix}-${slug === '' ? 'root' : slug}`
}

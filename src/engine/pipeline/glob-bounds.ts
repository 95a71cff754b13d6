import {showValue} from './show-value.js'

/**
 * Bounds on a glob's shape. Globs become backtracking regular expressions (picomatch), whose cost on a
 * hostile path grows like (path length)^(wildcards): `*a*a*a*a*ax` or `**\/a/**\/a/**\/a/**\/b` take
 * seconds to minutes on one long file name. Within these bounds any path (4 KiB) matches in milliseconds.
 */
export const GLOB_BOUNDS = {
  /** `*`, `**` and extglob repeats `*(…)` / `+(…)` in the whole glob. */
  wildcards: 4,
  /** `**` segments in the whole glob. */
  globstars: 2,
  /** `*` in one path segment. */
  segmentStars: 2,
  /** `{…}` groups in the whole glob. */
  braces: 8,
} as const

/** Why a glob is too costly to match, or undefined when it is within GLOB_BOUNDS. */
export function costlyGlob(glob: string): string | undefined {
  const pattern = glob.startsWith('!') ? glob.slice(1) : glob
  let globstars = 0
  let wildcards = 0
  let busiest = 0
  for (const segment of pattern.split('/')) {
    if (segment === '**') {
      globstars++
      wildcards++
      continue
    }
    const stars = (segment.replace(/\\./g, '').match(/\*+/g) ?? []).length
    busiest = Math.max(busiest, stars)
    wildcards += stars + (segment.match(/\+\(/g) ?? []).length
  }
  const braces = (pattern.replace(/\\./g, '').match(/\{/g) ?? []).length
  const limits = GLOB_BOUNDS
  if (globstars > limits.globstars) return `glob ${showValue(glob)} has ${globstars} "**" segments; at most ${limits.globstars} are allowed`
  if (busiest > limits.segmentStars) return `glob ${showValue(glob)} has ${busiest} "*" in one path segment; at most ${limits.segmentStars} are allowed`
  if (wildcards > limits.wildcards) return `glob ${showValue(glob)} has ${wildcards} wildcards; at most ${limits.wildcards} are allowed`
  if (braces > limits.braces) return `glob ${showValue(glob)} has ${braces} {…} groups; at most ${limits.braces} are allowed`
  return undefined
}

/** Sizes in bytes: parsed from jobs.yml and the config, formatted for people. */
/** Matches sizes like `512m`, `1g`, `1.5GiB`, `100kb`, `4096`. Also used by the JSON Schemas. */
export const SIZE_PATTERN = '^[0-9]+(?:\\.[0-9]+)?(?:[kKmMgGtT][iI]?)?[bB]?$'

const UNIT_BYTES: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4}

/** Parses `512m` / `1g` (binary units, as Docker does) or a byte count; undefined for anything else. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined
  if (!new RegExp(SIZE_PATTERN).test(value)) return undefined
  const match = /^([0-9.]+)([a-zA-Z]?)/.exec(value)
  if (!match) return undefined
  const unit = (match[2] ?? '').toLowerCase()
  const factor = unit === 'b' ? 1 : UNIT_BYTES[unit]
  if (factor === undefined) return undefined
  return Math.round(Number(match[1]) * factor)
}

/** `320 B`, `1.5 MiB`: binary units, one decimal past bytes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

import {isAlias, isMap, isScalar, isSeq} from 'yaml'
import type {Document} from 'yaml'

/**
 * Bounds on a document once its aliases are expanded, as `toJS` would build it. The largest honest
 * pipelines (thousands of jobs sharing steps, env and volumes through anchors) stay far below them;
 * 990 aliases of a 10 000-key map (a 160 KB file) would be ten million values.
 */
export const EXPANSION_LIMITS = {
  /** Mappings, lists and scalars (keys included). */
  values: 200_000,
  /** UTF-8 bytes of all scalars together. */
  bytes: 16 * 1024 * 1024,
} as const

/** Why a document cannot be read, and where (an offset into the source). */
export interface ExpansionProblem {
  offset?: number
  message: string
}

interface Size {
  values: number
  bytes: number
  /** The first alias inside, to name in a message. */
  alias?: string
}

class TooLarge extends Error {
  constructor(readonly problem: ExpansionProblem) {
    super(problem.message)
  }
}

/**
 * Sizes the document with its aliases expanded, without building it: each node is sized once and an
 * alias costs the size of the node it names, so this is linear in the document's own size. Returns
 * the first limit crossed, or an alias that names a value containing itself; undefined when readable.
 */
export function expansionProblem(doc: Document.Parsed, limits: {values: number; bytes: number} = EXPANSION_LIMITS): ExpansionProblem | undefined {
  return expansionSize(doc, limits).problem
}

/** What the document amounts to with its aliases expanded (see expansionProblem), or the first limit it crosses. */
export function expansionSize(doc: Document.Parsed, limits: {values: number; bytes: number} = EXPANSION_LIMITS): {values: number; bytes: number; problem?: ExpansionProblem} {
  // The last node that took each anchor so far, in document order (as YAML resolves aliases).
  const anchors = new Map<string, unknown>()
  const sizes = new Map<unknown, Size>()
  const open = new Set<unknown>()

  const sizeOf = (node: unknown): Size => {
    if (node === null || node === undefined) return {values: 0, bytes: 0}
    if (isAlias(node)) {
      const target = anchors.get(node.source)
      // An alias to no anchor is the parser's own error, reported as such when the value is built.
      if (target === undefined) return {values: 1, bytes: 0}
      if (open.has(target)) {
        throw new TooLarge({offset: node.range?.[0], message: `the alias *${node.source} is inside the value it names; a value cannot contain itself`})
      }
      return {...(sizes.get(target) ?? {values: 1, bytes: 0}), alias: node.source}
    }
    const anchor = (node as {anchor?: unknown}).anchor
    if (typeof anchor === 'string') anchors.set(anchor, node)
    open.add(node)
    const size: Size = {values: 1, bytes: 0}
    const add = (child: unknown): void => {
      const grown = sizeOf(child)
      size.values += grown.values
      size.bytes += grown.bytes
      size.alias ??= grown.alias
      if (size.values > limits.values || size.bytes > limits.bytes) {
        const offset = (child as {range?: [number, number, number]} | null)?.range?.[0] ?? (node as {range?: [number]}).range?.[0]
        throw new TooLarge({offset, message: tooLarge(size, limits)})
      }
    }
    if (isScalar(node)) {
      size.bytes = node.value === null || node.value === undefined ? 0 : Buffer.byteLength(String(node.value))
      if (size.bytes > limits.bytes) throw new TooLarge({offset: node.range?.[0], message: tooLarge(size, limits)})
    } else if (isMap(node)) {
      for (const pair of node.items) {
        add(pair.key)
        add(pair.value)
      }
    } else if (isSeq(node)) {
      for (const item of node.items) add(item)
    }
    open.delete(node)
    sizes.set(node, size)
    return size
  }

  try {
    const {values, bytes} = sizeOf(doc.contents)
    return {values, bytes}
  } catch (error) {
    if (error instanceof TooLarge) return {values: limits.values, bytes: limits.bytes, problem: error.problem}
    throw error
  }
}

function tooLarge(size: Size, limits: {values: number; bytes: number}): string {
  const limit = size.values > limits.values ? `${limits.values.toLocaleString('en-US')} values` : `${formatMiB(limits.bytes)} of text`
  if (size.alias !== undefined) return `the document expands to more than ${limit} through YAML aliases (e.g. *${size.alias}); is this an alias bomb?`
  return `the document holds more than ${limit} (aliases expanded), the most orca reads`
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes} bytes`
}

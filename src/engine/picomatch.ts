import {createRequire} from 'node:module'

import type picomatchModule from 'picomatch'

const load = createRequire(import.meta.url)
type Picomatch = typeof picomatchModule
let picomatch: Picomatch | undefined

/**
 * picomatch, loaded on first use: a fully cached run rarely compiles a glob, and loading it is a
 * measurable part of such a run's start-up (docs/performance.md).
 */
export function loadPicomatch(): Picomatch {
  return (picomatch ??= load('picomatch') as Picomatch)
}

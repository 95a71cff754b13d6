import {BaseSequencer, type TestSpecification} from 'vitest/node'

/**
 * The fault files whose loops take longest (docs/testing.md has the figures), started first so that
 * the side-by-side files fill in around them instead of one of them running alone at the end. Vitest's
 * own order puts the longest first only once it has timings of an earlier run, and a clean clone has none.
 */
const LONGEST_FIRST = ['sigkill.fault.ts', 'sigkill-services.fault.ts', 'sigkill-prestart.fault.ts', 'hostile-pipelines.fault.ts']

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const index = LONGEST_FIRST.findIndex((name) => spec.moduleId.endsWith(`/${name}`))
      return index === -1 ? LONGEST_FIRST.length : index
    }
    // Stable: files not listed keep vitest's order (its groups first), after the listed ones of their group.
    const groupOf = (spec: TestSpecification): number => spec.project.config.sequence.groupOrder
    return (await super.sort(files)).sort((a, b) => groupOf(a) - groupOf(b) || rank(a) - rank(b))
  }
}

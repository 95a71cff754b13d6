import {describe, expect, it} from 'vitest'

import {layOut, NODE_HEIGHT, NODE_WIDTH, type Layout, type Point} from '../../web/layout.js'

/** The bench's pipeline (bench/dashboard.mjs): each job needs up to two of the ten before it, seeded. */
function pipeline(count: number, seed: number): {jobs: string[]; needs: Record<string, string[]>} {
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647
  const name = (i: number) => `job-${String(i).padStart(3, '0')}`
  const jobs = Array.from({length: count}, (_, i) => name(i))
  const needs: Record<string, string[]> = {}
  for (let i = 1; i < count; i++) needs[name(i)] = [...new Set([0, 1].map(() => Math.max(0, i - 1 - Math.floor(random() * 10))))].map(name)
  return {jobs, needs}
}

const overlap = (a: Point, b: Point) => a.x < b.x + NODE_WIDTH && b.x < a.x + NODE_WIDTH && a.y < b.y + NODE_HEIGHT && b.y < a.y + NODE_HEIGHT

/** Whether the segment passes through the inside of a box (Liang–Barsky clipping against the box shrunk by half a pixel). */
function crossesBox(from: Point, to: Point, box: Point): boolean {
  let enter = 0
  let leave = 1
  const dx = to.x - from.x
  const dy = to.y - from.y
  const sides: [number, number][] = [
    [-dx, from.x - (box.x + 0.5)],
    [dx, box.x + NODE_WIDTH - 0.5 - from.x],
    [-dy, from.y - (box.y + 0.5)],
    [dy, box.y + NODE_HEIGHT - 0.5 - from.y],
  ]
  for (const [p, q] of sides) {
    if (p === 0) {
      if (q < 0) return false
    } else if (p < 0) enter = Math.max(enter, q / p)
    else leave = Math.min(leave, q / p)
  }
  return enter < leave
}

/** Pairs of lines whose segments over the same span cross (ends they share do not count). */
function crossingLines(layout: Layout): string[] {
  const segments = layout.edges.flatMap(({from, to, points}) => points.slice(1).map((end, k) => ({line: `${from}>${to}`, start: points[k]!, end})))
  const pairs: string[] = []
  for (const [i, a] of segments.entries()) {
    for (const b of segments.slice(i + 1)) {
      if (a.start.x === b.start.x && a.end.x === b.end.x && (a.start.y - b.start.y) * (a.end.y - b.end.y) < 0) pairs.push(`${a.line} × ${b.line}`)
    }
  }
  return pairs
}

function expectWellFormed(layout: Layout, jobs: string[], needs: Record<string, string[]>): void {
  const boxes = jobs.map((job) => layout.nodes[job]!)
  for (const [i, box] of boxes.entries()) {
    expect(box.x, jobs[i]).toBeGreaterThanOrEqual(0)
    expect(box.y, jobs[i]).toBeGreaterThanOrEqual(0)
    expect(box.x + NODE_WIDTH, jobs[i]).toBeLessThanOrEqual(layout.width)
    expect(box.y + NODE_HEIGHT, jobs[i]).toBeLessThanOrEqual(layout.height)
  }
  const overlaps = boxes.flatMap((box, i) => boxes.slice(i + 1).flatMap((other, k) => (overlap(box, other) ? [`${jobs[i]} and ${jobs[i + 1 + k]}`] : [])))
  expect(overlaps).toEqual([])
  const drawn = layout.edges.map((edge) => `${edge.from}>${edge.to}`).sort()
  expect(drawn).toEqual(jobs.flatMap((job) => (needs[job] ?? []).map((need) => `${need}>${job}`)).sort())
  const throughBoxes: string[] = []
  for (const {from, to, points} of layout.edges) {
    const need = layout.nodes[from]!
    const job = layout.nodes[to]!
    // Every need in a column left of the job that needs it.
    expect(need.x + NODE_WIDTH, `${from} before ${to}`).toBeLessThan(job.x)
    // From the need's right side to the job's left side, always rightwards, through no other job's box.
    expect(points[0]!.x).toBe(need.x + NODE_WIDTH)
    expect(points[0]!.y).toBeGreaterThan(need.y)
    expect(points[0]!.y).toBeLessThan(need.y + NODE_HEIGHT)
    expect(points.at(-1)!.x).toBe(job.x)
    expect(points.at(-1)!.y).toBeGreaterThan(job.y)
    expect(points.at(-1)!.y).toBeLessThan(job.y + NODE_HEIGHT)
    for (let k = 1; k < points.length; k++) {
      expect(points[k]!.x).toBeGreaterThanOrEqual(points[k - 1]!.x)
      for (const [i, box] of boxes.entries()) {
        if (jobs[i] !== from && jobs[i] !== to && crossesBox(points[k - 1]!, points[k]!, box)) throughBoxes.push(`${from}>${to} through ${jobs[i]}`)
      }
    }
  }
  expect(throughBoxes).toEqual([])
}

describe('the pipeline graph layout', () => {
  it('lays out 200 jobs with random needs: no boxes overlap, needs to the left, no line through a box', () => {
    const {jobs, needs} = pipeline(200, 20261129)
    const layout = layOut(jobs, needs)
    expectWellFormed(layout, jobs, needs)
    // The same jobs and needs give the same picture.
    expect(layOut(jobs, needs)).toEqual(layout)
  })

  it('keeps a common CI pipeline in columns by its needs, one line per need', () => {
    const jobs = ['install', 'lint', 'build', 'unit', 'e2e', 'package', 'deploy']
    const needs = {lint: ['install'], build: ['install'], unit: ['build'], e2e: ['build'], package: ['unit', 'e2e', 'lint'], deploy: ['package']}
    const layout = layOut(jobs, needs)
    expectWellFormed(layout, jobs, needs)
    const column = (job: string) => layout.nodes[job]!.x
    expect(column('lint')).toBe(column('build'))
    expect(column('unit')).toBe(column('e2e'))
    expect(new Set(jobs.map(column)).size).toBe(5)
    // The lines into package end at distinct points of its side, in the order they come from.
    const ends = layout.edges.filter((e) => e.to === 'package').map((e) => ({from: layout.nodes[e.from]!.y, end: e.points.at(-1)!.y}))
    expect(new Set(ends.map((e) => e.end)).size).toBe(3)
    const byOrigin = [...ends].sort((a, b) => a.from - b.from).map((e) => e.end)
    expect(byOrigin).toEqual([...byOrigin].sort((a, b) => a - b))
  })

  it('orders the columns so that lines do not cross when they need not', () => {
    // In the order the jobs become ready (c before the lane of a>c), two pairs of lines would cross.
    const layout = layOut(['a', 'b', 'c', 'd', 'e'], {b: ['a'], c: ['a', 'b'], d: ['b'], e: ['b', 'd']})
    expect(crossingLines(layout)).toEqual([])
  })

  it('puts a job that needs nothing just before the first job that needs it', () => {
    const jobs = ['a', 'b', 'c', 'd', 'setup']
    const layout = layOut(jobs, {b: ['a'], c: ['b'], d: ['c', 'setup']})
    expect(layout.nodes['setup']!.x).toBe(layout.nodes['c']!.x)
    expect(layout.nodes['a']!.x).toBeLessThan(layout.nodes['b']!.x)
  })

  it('draws what it can of needs that are not jobs, on itself, or in a cycle', () => {
    const jobs = ['a', 'b', 'c']
    const layout = layOut(jobs, {a: ['a', 'missing'], b: ['c'], c: ['b']})
    expect(Object.keys(layout.nodes).sort()).toEqual(jobs)
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['b>c', 'c>b'])
    expect(layOut([], {})).toEqual({width: 0, height: 0, nodes: {}, edges: []})
  })
})

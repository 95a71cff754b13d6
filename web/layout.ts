// The pipeline graph's layout, left to right by needs: a layered layout (Sugiyama's method, kept
// small). Jobs go in columns by the longest chain of needs before them; a need that skips columns
// runs through a lane of its own in each column it crosses (so no line goes through a job's box);
// barycentre sweeps order each column to cut crossings; least squares under the columns' order place
// each job level with what it needs. Pure and deterministic: the same jobs and needs give the same
// picture. dagre did this in about a second for 200 jobs (most of it rebuilding graphs for every
// ordering sweep); this takes milliseconds (docs/performance.md, Dashboard).

export const NODE_WIDTH = 168
export const NODE_HEIGHT = 40
/** Between two columns: where lines change lanes. */
const COLUMN_GAP = 48
/** Between two jobs in a column. */
const NODE_GAP = 14
/** Between a lane and its neighbour in a column. */
const LANE_GAP = 8
const MARGIN = 8
/** Between the ends of lines that meet the same side of a box, at most. */
const ARROW_SPACING = 6
/** Ordering passes (a sweep forward and one back each); the order with the fewest crossings wins. */
const ORDER_PASSES = 4
const PLACE_PASSES = 6

export interface Point {
  x: number
  y: number
}

export interface Layout {
  width: number
  height: number
  /** Each job's box, by its top-left corner (NODE_WIDTH × NODE_HEIGHT). */
  nodes: Record<string, Point>
  /** One line per need, from the need's right side to the job's left side. */
  edges: {from: string; to: string; points: Point[]}[]
}

/** A job (index < job count) or a lane that carries a need across one column. */
interface Vertex {
  rank: number
  size: number
  preds: number[]
  succs: number[]
}

export function layOut(jobs: string[], needs: Record<string, string[]>): Layout {
  const index = new Map(jobs.map((job, i) => [job, i]))
  const needIndexes = jobs.map((job) => [...new Set((needs[job] ?? []).map((need) => index.get(need)).filter((i): i is number => i !== undefined && jobs[i] !== job))])
  const {order, ranks} = rankJobs(needIndexes)
  const position = new Map(order.map((job, at) => [job, at]))

  const vertices: Vertex[] = jobs.map((_, i) => ({rank: ranks[i]!, size: NODE_HEIGHT, preds: [], succs: []}))
  const link = (from: number, to: number) => {
    vertices[from]!.succs.push(to)
    vertices[to]!.preds.push(from)
  }
  // Each drawn need, as the chain of vertices it passes: the need, a lane per column between, the job.
  const chains: {from: number; to: number; path: number[]}[] = []
  for (const job of order) {
    for (const need of needIndexes[job]!) {
      // A need later in the order is a cycle's back edge (orca refuses those when it loads the file): drawn straight.
      if (position.get(need)! > position.get(job)!) {
        chains.push({from: need, to: job, path: [need, job]})
        continue
      }
      const path = [need]
      for (let rank = ranks[need]! + 1; rank < ranks[job]!; rank++) {
        vertices.push({rank, size: 0, preds: [], succs: []})
        path.push(vertices.length - 1)
      }
      path.push(job)
      for (let i = 1; i < path.length; i++) link(path[i - 1]!, path[i]!)
      chains.push({from: need, to: job, path})
    }
  }

  const columnCount = jobs.length === 0 ? 0 : Math.max(...ranks) + 1
  const columns: number[][] = Array.from({length: columnCount}, () => [])
  for (const job of order) columns[ranks[job]!]!.push(job)
  for (let v = jobs.length; v < vertices.length; v++) columns[vertices[v]!.rank]!.push(v)
  orderColumns(columns, vertices)
  const ys = placeInColumns(columns, vertices)

  // Top of the highest box at the margin.
  let top = Infinity
  let bottom = -Infinity
  for (let v = 0; v < vertices.length; v++) {
    top = Math.min(top, ys[v]! - vertices[v]!.size / 2)
    bottom = Math.max(bottom, ys[v]! + vertices[v]!.size / 2)
  }
  const shift = jobs.length === 0 ? 0 : MARGIN - top
  const columnX = (rank: number) => MARGIN + rank * (NODE_WIDTH + COLUMN_GAP)
  const nodes: Layout['nodes'] = {}
  jobs.forEach((job, i) => (nodes[job] = {x: columnX(ranks[i]!), y: ys[i]! + shift - NODE_HEIGHT / 2}))
  const edges = chains.map(({from, to, path}) => {
    const points: Point[] = [{x: columnX(ranks[from]!) + NODE_WIDTH, y: ys[from]! + shift}]
    for (const lane of path.slice(1, -1)) {
      const x = columnX(vertices[lane]!.rank)
      points.push({x, y: ys[lane]! + shift}, {x: x + NODE_WIDTH, y: ys[lane]! + shift})
    }
    points.push({x: columnX(ranks[to]!), y: ys[to]! + shift})
    return {from: jobs[from]!, to: jobs[to]!, points}
  })
  spreadEnds(edges, (edge) => edge.points.at(-1)!, (edge) => edge.points.at(-2)!.y)
  spreadEnds(edges, (edge) => edge.points[0]!, (edge) => edge.points[1]!.y)
  return {
    width: columnCount === 0 ? 0 : columnX(columnCount - 1) + NODE_WIDTH + MARGIN,
    height: jobs.length === 0 ? 0 : bottom - top + 2 * MARGIN,
    nodes,
    edges,
  }
}

/**
 * Lines that meet a box's side at one point fan out along it instead, in the order they come from
 * (so the fan adds no crossing), and each arrow head stays visible.
 */
function spreadEnds(edges: Layout['edges'], end: (edge: Layout['edges'][number]) => Point, otherY: (edge: Layout['edges'][number]) => number): void {
  const atPoint = new Map<string, Layout['edges']>()
  for (const edge of edges) {
    const {x, y} = end(edge)
    const key = `${x},${y}`
    const group = atPoint.get(key)
    if (group === undefined) atPoint.set(key, [edge])
    else group.push(edge)
  }
  for (const group of atPoint.values()) {
    if (group.length < 2) continue
    const step = Math.min(ARROW_SPACING, (NODE_HEIGHT - 2 * ARROW_SPACING) / (group.length - 1))
    group.sort((a, b) => otherY(a) - otherY(b))
    group.forEach((edge, i) => (end(edge).y += (i - (group.length - 1) / 2) * step))
  }
}

/**
 * A topological order of the jobs (by their needs, ties in the jobs' own order) and each job's
 * column: one past its latest need, or, for a job that needs nothing, just before the earliest job
 * that needs it (its lines are then as short as they can be).
 */
export function rankJobs(needs: number[][]): {order: number[]; ranks: number[]} {
  const count = needs.length
  const dependents: number[][] = needs.map(() => [])
  const waiting = needs.map((n) => n.length)
  needs.forEach((list, job) => list.forEach((need) => dependents[need]!.push(job)))
  const order: number[] = []
  const placed = new Array<boolean>(count).fill(false)
  const ready = needs.flatMap((list, job) => (list.length === 0 ? [job] : []))
  for (let next = 0; order.length < count; ) {
    if (next === ready.length) {
      // Only cycles are left: break one at its first job.
      const stuck = placed.findIndex((done) => !done)
      ready.push(stuck)
      waiting[stuck] = 0
    }
    const job = ready[next++]!
    if (placed[job]) continue
    placed[job] = true
    order.push(job)
    for (const dependent of dependents[job]!) if (--waiting[dependent]! === 0) ready.push(dependent)
  }
  const position = new Array<number>(count)
  order.forEach((job, at) => (position[job] = at))
  const ranks = new Array<number>(count).fill(0)
  for (const job of order) for (const need of needs[job]!) if (position[need]! < position[job]!) ranks[job] = Math.max(ranks[job]!, ranks[need]! + 1)
  for (const job of [...order].reverse()) {
    const later = dependents[job]!.filter((dependent) => position[dependent]! > position[job]!)
    if (needs[job]!.length === 0 && later.length > 0) ranks[job] = Math.min(...later.map((dependent) => ranks[dependent]!)) - 1
  }
  return {order, ranks}
}

/** Reorders each column in place to cut crossings: barycentre sweeps, keeping the best order seen. */
function orderColumns(columns: number[][], vertices: Vertex[]): void {
  const at = new Array<number>(vertices.length)
  const index = () => columns.forEach((column) => column.forEach((v, i) => (at[v] = i)))
  index()
  let best = columns.map((column) => [...column])
  let fewest = crossings(columns, vertices, at)
  for (let pass = 0; pass < ORDER_PASSES && fewest > 0; pass++) {
    for (let c = 1; c < columns.length; c++) sortByBarycentre(columns[c]!, at, (v) => vertices[v]!.preds)
    for (let c = columns.length - 2; c >= 0; c--) sortByBarycentre(columns[c]!, at, (v) => vertices[v]!.succs)
    const count = crossings(columns, vertices, at)
    if (count < fewest) {
      fewest = count
      best = columns.map((column) => [...column])
    }
  }
  best.forEach((column, c) => (columns[c] = column))
}

/** Sorts a column by the mean position of each vertex's neighbours; a vertex without any keeps its place. */
function sortByBarycentre(column: number[], at: number[], neighbours: (v: number) => number[]): void {
  const movable = column
    .filter((v) => neighbours(v).length > 0)
    .map((v) => ({v, key: neighbours(v).reduce((sum, n) => sum + at[n]!, 0) / neighbours(v).length}))
    .sort((a, b) => a.key - b.key || at[a.v]! - at[b.v]!)
  let next = 0
  for (let i = 0; i < column.length; i++) if (neighbours(column[i]!).length > 0) column[i] = movable[next++]!.v
  column.forEach((v, i) => (at[v] = i))
}

/** How many pairs of lines cross between neighbouring columns. */
function crossings(columns: number[][], vertices: Vertex[], at: number[]): number {
  let total = 0
  for (let c = 0; c + 1 < columns.length; c++) {
    // Lines by their start, then end; every pair whose ends are the other way round crosses.
    const ends = columns[c]!.flatMap((v) => vertices[v]!.succs.map((s) => at[s]!).sort((a, b) => a - b))
    const seen = new Array<number>(columns[c + 1]!.length + 1).fill(0)
    ends.forEach((end, i) => {
      let notAfter = 0
      for (let k = end + 1; k > 0; k -= k & -k) notAfter += seen[k]!
      total += i - notAfter
      for (let k = end + 1; k < seen.length; k += k & -k) seen[k]!++
    })
  }
  return total
}

/**
 * Each vertex's centre on the cross axis: sweeps that move each one towards the mean of its
 * neighbours in the column before (then after), as close as the column's order and gaps allow.
 */
function placeInColumns(columns: number[][], vertices: Vertex[]): number[] {
  const ys = new Array<number>(vertices.length).fill(0)
  for (const column of columns) {
    let y = 0
    column.forEach((v, i) => {
      if (i > 0) y += gap(vertices, column[i - 1]!, v)
      ys[v] = y
    })
  }
  const towards = (column: number[], neighbours: (v: number) => number[]) => {
    const wanted = column.map((v) => {
      const list = neighbours(v)
      return list.length === 0 ? ys[v]! : list.reduce((sum, n) => sum + ys[n]!, 0) / list.length
    })
    placeInOrder(column, wanted, vertices).forEach((y, i) => (ys[column[i]!] = y))
  }
  for (let pass = 0; pass < PLACE_PASSES; pass++) {
    for (let c = 1; c < columns.length; c++) towards(columns[c]!, (v) => vertices[v]!.preds)
    for (let c = columns.length - 2; c >= 0; c--) towards(columns[c]!, (v) => vertices[v]!.succs)
  }
  // Last, level with both sides.
  for (let c = 0; c < columns.length; c++) towards(columns[c]!, (v) => [...vertices[v]!.preds, ...vertices[v]!.succs])
  return ys
}

function gap(vertices: Vertex[], above: number, below: number): number {
  const a = vertices[above]!
  const b = vertices[below]!
  return (a.size + b.size) / 2 + (a.size > 0 && b.size > 0 ? NODE_GAP : LANE_GAP)
}

/**
 * The positions closest (least squares) to the wanted ones that keep the column's order and gaps:
 * with each position less its offset from the column's top, the order is a non-decreasing sequence,
 * so pooling adjacent violators finds it exactly.
 */
function placeInOrder(column: number[], wanted: number[], vertices: Vertex[]): number[] {
  const offsets: number[] = []
  column.forEach((v, i) => offsets.push(i === 0 ? 0 : offsets[i - 1]! + gap(vertices, column[i - 1]!, v)))
  const blocks: {sum: number; count: number}[] = []
  for (let i = 0; i < column.length; i++) {
    blocks.push({sum: wanted[i]! - offsets[i]!, count: 1})
    while (blocks.length > 1 && blocks.at(-2)!.sum / blocks.at(-2)!.count > blocks.at(-1)!.sum / blocks.at(-1)!.count) {
      const last = blocks.pop()!
      blocks.at(-1)!.sum += last.sum
      blocks.at(-1)!.count += last.count
    }
  }
  const placed: number[] = []
  for (const block of blocks) for (let k = 0; k < block.count; k++) placed.push(block.sum / block.count + offsets[placed.length]!)
  return placed
}

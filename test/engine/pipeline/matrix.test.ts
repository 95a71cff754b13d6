import {describe, expect, it} from 'vitest'

import {expandMatrixJob, idPart, interpolateMatrix, matrixCombinations, MAX_COMBINATIONS, type MatrixDefinition} from '../../../src/engine/pipeline/matrix.js'

const plain = (list: Array<Record<string, string>>): Array<Record<string, string>> => list.map((c) => ({...c}))
const matrix = (axes: MatrixDefinition['axes'], more: Partial<MatrixDefinition> = {}): MatrixDefinition => ({axes, include: [], exclude: [], ...more})

describe('matrix combinations (GitHub Actions rules)', () => {
  it('combines the lists, the first variable varying slowest', () => {
    const {combinations, problems} = matrixCombinations(matrix([['version', [10, 12, 14]], ['os', ['ubuntu-latest', 'windows-latest']]]))
    expect(problems).toEqual([])
    expect(plain(combinations)).toEqual([
      {version: '10', os: 'ubuntu-latest'},
      {version: '10', os: 'windows-latest'},
      {version: '12', os: 'ubuntu-latest'},
      {version: '12', os: 'windows-latest'},
      {version: '14', os: 'ubuntu-latest'},
      {version: '14', os: 'windows-latest'},
    ])
  })

  it("expands include exactly as GitHub's documented example", () => {
    // docs.github.com: "Example: Expanding configurations" (fruit × animal with five include entries).
    const {combinations, problems} = matrixCombinations(
      matrix([['fruit', ['apple', 'pear']], ['animal', ['cat', 'dog']]], {
        include: [{color: 'green'}, {color: 'pink', animal: 'cat'}, {fruit: 'apple', shape: 'circle'}, {fruit: 'banana'}, {fruit: 'banana', animal: 'cat'}],
      }),
    )
    expect(problems).toEqual([])
    expect(plain(combinations)).toEqual([
      {fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle'},
      {fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle'},
      {fruit: 'pear', animal: 'cat', color: 'pink'},
      {fruit: 'pear', animal: 'dog', color: 'green'},
      {fruit: 'banana'},
      {fruit: 'banana', animal: 'cat'},
    ])
  })

  it('excludes on a partial match, before include (which may add an excluded combination back)', () => {
    // docs.github.com: "Example: Excluding configurations".
    const {combinations} = matrixCombinations(
      matrix([['os', ['macos-latest', 'windows-latest']], ['version', [12, 14, 16]], ['environment', ['staging', 'production']]], {
        exclude: [{os: 'macos-latest', version: 12, environment: 'production'}, {os: 'windows-latest', version: 16}],
      }),
    )
    expect(combinations).toHaveLength(12 - 1 - 2)
    expect(plain(combinations)).not.toContainEqual({os: 'windows-latest', version: '16', environment: 'staging'})
    expect(plain(combinations)).not.toContainEqual({os: 'macos-latest', version: '12', environment: 'production'})
    expect(plain(combinations)).toContainEqual({os: 'macos-latest', version: '12', environment: 'staging'})

    const back = matrixCombinations(matrix([['os', ['linux', 'mac']], ['node', [18, 20]]], {exclude: [{os: 'mac'}], include: [{os: 'mac', node: 20}]}))
    expect(plain(back.combinations)).toEqual([
      {os: 'linux', node: '18'},
      {os: 'linux', node: '20'},
      {os: 'mac', node: '20'},
    ])
  })

  it('runs every include entry of a matrix without lists', () => {
    const {combinations} = matrixCombinations(matrix([], {include: [{os: 'linux', arch: 'amd64'}, {os: 'linux', arch: 'arm64'}]}))
    expect(plain(combinations)).toEqual([
      {os: 'linux', arch: 'amd64'},
      {os: 'linux', arch: 'arm64'},
    ])
  })

  it('compares values as text: an include of "20" extends node 20', () => {
    const {combinations} = matrixCombinations(matrix([['node', [18, 20]]], {include: [{node: '20', experimental: true}]}))
    expect(plain(combinations)).toEqual([{node: '18'}, {node: '20', experimental: 'true'}])
  })

  it('refuses what cannot be meant: an empty list, a repeated value, an unknown exclude key, an exclude that matches nothing, nothing left, too many', () => {
    expect(matrixCombinations(matrix([['node', []]])).problems).toContainEqual({at: ['node'], message: 'matrix variable "node" has no values'})
    expect(matrixCombinations(matrix([['node', [20, '20']]])).problems).toEqual([{at: ['node', 1], message: 'value "20" appears twice in matrix variable "node"'}])
    expect(matrixCombinations(matrix([['node', [20]]], {exclude: [{nod: 20}]})).problems[0]).toMatchObject({at: ['exclude', 0, 'nod']})
    expect(matrixCombinations(matrix([['node', [20]]], {exclude: [{node: 21}]})).problems).toEqual([{at: ['exclude', 0], message: 'this exclude matches no combination of the matrix'}])
    expect(matrixCombinations(matrix([['node', [20]]], {exclude: [{node: 20}]})).problems).toContainEqual({at: [], message: 'the matrix has no combination left'})
    const many = Array.from({length: MAX_COMBINATIONS + 1}, (_, i) => i)
    expect(matrixCombinations(matrix([['n', many]])).problems[0]!.message).toMatch(/257 combinations; the limit is 256/)
    const huge = Array.from({length: 100}, (_, i) => i)
    expect(matrixCombinations(matrix([['a', huge], ['b', huge], ['c', huge]])).problems[0]!.message).toMatch(/1000000 combinations/)
  })
})

describe('expansion ids and display names', () => {
  it('names each expansion by the job and the listed values; a value starting with a digit is led by its variable', () => {
    const {expansions, problems} = expandMatrixJob('test', matrix([['node', [20, 22]], ['db', ['pg', 'MySQL 8']]], {include: [{node: 22, db: 'pg', experimental: true}]}))
    expect(problems).toEqual([])
    expect(expansions.map((e) => [e.id, e.displayName])).toEqual([
      ['test-node20-pg', 'test (node=20, db=pg)'],
      ['test-node20-mysql-8', 'test (node=20, db=MySQL 8)'],
      ['test-node22-pg', 'test (node=22, db=pg, experimental=true)'],
      ['test-node22-mysql-8', 'test (node=22, db=MySQL 8)'],
    ])
  })

  it('makes id parts of any value', () => {
    expect(idPart('3.11', 'python')).toBe('python3-11')
    expect(idPart('ubuntu-latest', 'os')).toBe('ubuntu-latest')
    expect(idPart('  ', 'os')).toBe('os')
    expect(idPart('Windows Server/2022', 'os')).toBe('windows-server-2022')
    expect(idPart('é', 'Os-Name')).toBe('osname')
  })

  it('reports combinations that collide once sanitised, and suggests a template', () => {
    const {expansions, problems} = expandMatrixJob('test', matrix([['python', ['3.1', '3-1']]]))
    expect(expansions.map((e) => e.id)).toEqual(['test-python3-1'])
    expect(problems).toEqual([
      {at: [], key: 'matrix', message: 'the combinations (python=3.1) and (python=3-1) both get the id "test-python3-1"; set "id" to a template that tells them apart, e.g. "test-${{ matrix.python }}"'},
    ])
  })

  it('takes an id template (values lowercased, other characters as "-") and a display name template (values as written)', () => {
    const {expansions, problems} = expandMatrixJob('test', matrix([['os', ['Linux', 'Mac OS']], ['node', [20]]]), {id: 'unit-${{ matrix.os }}-n${{matrix.node}}', name: 'Unit on ${{ matrix.os }}'})
    expect(problems).toEqual([])
    expect(expansions.map((e) => [e.id, e.displayName])).toEqual([
      ['unit-linux-n20', 'Unit on Linux'],
      ['unit-mac-os-n20', 'Unit on Mac OS'],
    ])
  })

  it('refuses a template that names no variable, or gives ids that are not job names', () => {
    expect(expandMatrixJob('t', matrix([['os', ['a']]]), {id: 'x-${{ matrix.oss }}'}).problems[0]).toMatchObject({key: 'id', offset: 2, message: 'unknown matrix variable "oss"; the matrix has "os"'})
    expect(expandMatrixJob('t', matrix([['os', ['a']]]), {id: 'X-${{ matrix.os }}'}).problems[0]!.message).toMatch(/gets the id "X-a", which is not a job name/)
    expect(expandMatrixJob('t', matrix([['os', ['a']]]), {name: '${{ env.X }}'}).problems[0]!.message).toMatch(/only \$\{\{ matrix.NAME \}\} can be used here/)
  })
})

describe('interpolation', () => {
  it('replaces each reference; a variable this combination lacks is empty', () => {
    expect(interpolateMatrix('node:${{ matrix.node }}-${{matrix.flavour}}', {node: '20'}, new Set(['node', 'flavour'])).text).toBe('node:20-')
  })
})

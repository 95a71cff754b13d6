import {describe, expect, it} from 'vitest'

import {nameTable, ownValue} from '../../src/engine/name-table.js'

const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'prototype', 'valueOf']

describe('name tables', () => {
  it('store every name as data, including the names of Object.prototype', () => {
    const table = nameTable<string>()
    for (const name of PROTOTYPE_NAMES) table[name] = `value of ${name}`
    expect(Object.keys(table)).toEqual(PROTOTYPE_NAMES)
    for (const name of PROTOTYPE_NAMES) expect(ownValue(table, name)).toBe(`value of ${name}`)
    expect(JSON.parse(JSON.stringify(table))).toEqual(Object.fromEntries(PROTOTYPE_NAMES.map((n) => [n, `value of ${n}`])))
  })

  it('merge like spread, a later source winning, and keep an own __proto__ key of a parsed source', () => {
    const parsed = JSON.parse('{"__proto__": "from JSON", "A": "1"}') as Record<string, string>
    const merged = nameTable(parsed, {A: '2', constructor: 'c'})
    expect(Object.entries(merged)).toEqual([['__proto__', 'from JSON'], ['A', '2'], ['constructor', 'c']])
    expect(Object.getPrototypeOf(merged)).toBeNull()
  })

  it('find nothing for a name that is not in the table, even on a plain object', () => {
    for (const name of PROTOTYPE_NAMES) {
      expect(ownValue({}, name), name).toBeUndefined()
      expect(ownValue(nameTable(), name), name).toBeUndefined()
    }
    expect(ownValue(undefined, 'x')).toBeUndefined()
  })
})

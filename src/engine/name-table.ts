/**
 * Objects keyed by names that come from users: jobs, env variables, secrets, volumes, labels. A
 * plain `{}` inherits from Object.prototype, so `table.constructor` is a function and assigning
 * `table.__proto__` replaces the prototype instead of storing a value. A name table has no
 * prototype, and `ownValue` reads own properties only: such names are data like any other.
 */
export type NameTable<T> = Record<string, T>

/** A table with no prototype holding the own entries of each source in turn (a later one wins, as with spread). */
export function nameTable<T>(...sources: Array<Readonly<Record<string, T>> | undefined>): NameTable<T> {
  const table = Object.create(null) as NameTable<T>
  // On an object without a prototype there is no `__proto__` setter: every key is stored as given.
  for (const source of sources) if (source !== undefined) Object.assign(table, source)
  return table
}

/** The value stored under `name` in the table itself, never one inherited from Object.prototype. */
export function ownValue<T>(table: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined
}

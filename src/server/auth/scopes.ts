/** What a key may do: read records, start runs and executions, use sandboxes, or everything. */
export const SCOPES = ['read', 'run', 'sandbox', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

/** Whether a key with `granted` may call a route that needs `needed`: `admin` implies every scope. */
export function grants(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed)
}

// Types of scripts/sync-version.mjs for the docs tests.
export function versionedFiles(root?: string): string[]
export function versionMentions(text: string): Array<{version: string; line: number}>
export function withVersion(text: string, version?: string): string

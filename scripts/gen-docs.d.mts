// Types of scripts/gen-docs.mjs for the drift tests in test/docs.
export const ROOT: string
export function jobsReference(schema: object): string
export function cliReference(manifest: object, bin?: string): string
export function renderDocs(root?: string): Array<{path: string; text: string}>

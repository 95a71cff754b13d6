import type {FlagTable} from './table.js'

/** `orca import github|gitlab`'s flags. */
export const importFlags = {
  output: {type: 'string', char: 'o', helpValue: 'FILE', description: 'write the jobs.yml to FILE (default: print it on stdout); - prints it'},
  force: {type: 'boolean', description: 'overwrite FILE when it exists'},
  json: {type: 'boolean', description: 'print the report as JSON (on stdout with -o FILE, else on stderr)'},
  strict: {type: 'boolean', description: 'exit 1 when anything was dropped (the jobs.yml is still written)'},
  image: {type: 'string', helpValue: 'IMAGE', description: "image of the jobs whose CI file names none (default: buildpack-deps:noble for GitHub's Ubuntu runners, ruby:3.1 for GitLab)"},
} as const satisfies FlagTable

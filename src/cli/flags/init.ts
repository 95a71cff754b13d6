import type {FlagTable} from './table.js'

export const initFlags = {
  ci: {type: 'string', options: ['github', 'gitlab'], multiple: true, description: 'also write a CI configuration running orca'},
  'pre-commit': {type: 'boolean', description: 'also install a git pre-commit hook running orca'},
  target: {type: 'string', multiple: true, description: 'job the CI file and the hook run (default: ci)'},
  image: {type: 'string', description: 'image of every generated job instead of the default for the project kind'},
  kind: {type: 'string', options: ['node', 'python', 'go', 'rust', 'make', 'generic'], description: 'kind of project, instead of detecting it'},
  file: {type: 'string', char: 'f', default: 'jobs.yml', description: 'pipeline file to write'},
  force: {type: 'boolean', description: 'overwrite files that exist'},
} as const satisfies FlagTable

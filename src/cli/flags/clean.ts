import type {FlagTable} from './table.js'

export const cleanFlags = {
  leaks: {type: 'boolean', description: 'remove leaked containers and networks of dead runs'},
  kept: {type: 'boolean', description: 'remove containers kept by cleanup policy'},
  volumes: {type: 'boolean', description: "remove jobs' named volumes"},
  runs: {type: 'boolean', description: 'remove finished runs (all, or those older than --older-than)'},
  'older-than': {type: 'string', dependsOn: ['runs'], description: 'with --runs: only runs started longer ago than this, e.g. 7d, 12h'},
  cache: {type: 'boolean', description: 'remove every cache entry'},
  images: {type: 'boolean', description: 'remove images built from the project (image: {build}) that no cache entry or kept run uses'},
  'all-projects': {type: 'boolean', description: "with --leaks, --kept, --volumes: every project's resources on the engine, not only this project's"},
  file: {type: 'string', char: 'f', description: 'pipeline file whose project to clean (default: jobs.yml, found in this folder or the nearest parent holding one)'},
  'dry-run': {type: 'boolean', description: 'list what would be removed, remove nothing'},
} as const satisfies FlagTable

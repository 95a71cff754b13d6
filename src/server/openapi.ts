import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/** `schemas/` at the package root, from `src/server/` and `dist/server/` alike. */
const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url))

const ref = (name: string): {$ref: string} => ({$ref: `#/components/schemas/${name}`})

/**
 * The published JSON Schemas as OpenAPI components: each schema becomes `<Name>` and each of its
 * `$defs` becomes `<Name>.<def>`, with references rewritten, so the document has one copy of them.
 */
export function schemaComponents(): Record<string, unknown> {
  const components: Record<string, unknown> = {}
  hoist('run-record.schema.json', 'RunRecord', components)
  hoist('event.schema.json', 'Event', components)
  Object.assign(components, API_SCHEMAS)
  return components
}

function hoist(file: string, name: string, into: Record<string, unknown>): void {
  const schema = JSON.parse(readFileSync(SCHEMAS_DIR + file, 'utf8')) as Record<string, unknown>
  const {$schema: _schema, $id: _id, $defs, ...root} = schema
  const rewrite = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', `"#/components/schemas/${name}.`))
  into[name] = rewrite(root)
  for (const [def, value] of Object.entries(($defs ?? {}) as Record<string, unknown>)) into[`${name}.${def}`] = rewrite(value)
}

const CLEANUP = ['always_remove', 'remove_on_completion', 'keep_on_completion', 'remove_on_timeout', 'never_remove']

/** Schemas of the API's own documents (requests, replies, errors). */
const API_SCHEMAS: Record<string, unknown> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: {type: 'string', description: 'Stable machine-readable code, e.g. `unauthorized`, `not_found`, `pipeline_not_allowed`, `invalid_pipeline`.'},
          message: {type: 'string'},
          hint: {type: 'string'},
          diagnostics: {
            type: 'array',
            description: 'Positioned problems of the pipeline: file, position, key path and what was expected; never a value of the file.',
            items: {
              type: 'object',
              required: ['file', 'path', 'message'],
              properties: {file: {type: 'string'}, line: {type: 'integer'}, column: {type: 'integer'}, path: {type: 'string'}, message: {type: 'string'}},
            },
          },
        },
      },
    },
  },
  SubmittedRun: {
    type: 'object',
    required: ['id', 'state', 'url', 'eventsUrl'],
    properties: {
      id: {type: 'string', description: 'Run id; the run directory exists when this reply is sent.'},
      state: {enum: ['queued', 'running'], description: '`queued` until a slot among the concurrent runs frees up.'},
      url: {type: 'string'},
      eventsUrl: {type: 'string'},
    },
  },
  RunList: {
    type: 'object',
    required: ['runs', 'next'],
    properties: {
      runs: {type: 'array', items: ref('RunRecord'), description: 'Newest first.'},
      next: {type: ['string', 'null'], description: 'Pass as `before` to get the next page; null on the last page.'},
    },
  },
  Artifact: {
    type: 'object',
    required: ['job', 'path', 'size', 'sha256', 'url'],
    properties: {
      job: {type: 'string'},
      path: {type: 'string', description: 'As under the job\'s workdir, `/`-separated.'},
      size: {type: 'integer', minimum: 0},
      sha256: {type: 'string', pattern: '^[0-9a-f]{64}$'},
      mode: {type: 'integer', minimum: 0, maximum: 511, description: 'Permission bits, as the job left them.'},
      url: {type: 'string', description: 'Download path on this server.'},
    },
  },
  Cancelling: {
    type: 'object',
    required: ['id', 'state'],
    properties: {id: {type: 'string'}, state: {const: 'cancelling'}},
  },
  Tree: {
    type: 'object',
    required: ['format', 'files'],
    description: 'A working tree as uploaded for a run: the artifact manifest format (files sorted by path), plus which files are orca\'s own.',
    properties: {
      format: {const: 1},
      files: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'type'],
          properties: {
            path: {type: 'string', description: 'Relative to the project, `/`-separated, sorted.'},
            type: {enum: ['file', 'symlink']},
            mode: {type: 'integer', minimum: 0, maximum: 511},
            size: {type: 'integer', minimum: 0},
            sha256: {type: 'string', pattern: '^[0-9a-f]{64}$'},
            target: {type: 'string', description: 'A link\'s target, inside the tree.'},
          },
        },
      },
      orcaFiles: {type: 'array', items: {type: 'string'}, description: 'Among `files`, orca\'s own (pipeline file, includes, configuration, `.orcaignore`): not default inputs, as in a local run.'},
    },
  },
  MissingUploads: {
    type: 'object',
    required: ['missing'],
    properties: {missing: {type: 'array', items: {type: 'string'}, description: 'Digests the server lacks, each once.'}},
  },
  StoredUploads: {
    type: 'object',
    required: ['blobs', 'bytes'],
    properties: {blobs: {type: 'integer'}, bytes: {type: 'integer'}},
  },
  Health: {
    type: 'object',
    required: ['status', 'running', 'queued'],
    properties: {status: {const: 'ok'}, running: {type: 'integer'}, queued: {type: 'integer'}},
  },
}

/** `tree` of `POST /v1/runs`: the digest of an uploaded tree manifest (the client's working tree). */
const TREE_DIGEST_SCHEMA = {
  type: 'string',
  pattern: '^[0-9a-f]{64}$',
  description:
    'Run the client\'s working tree instead of the served project: the SHA-256 of a tree manifest uploaded with POST /v1/uploads (components/schemas/Tree), whose files were uploaded too. The tree is laid out in a throwaway folder on the server and the pipeline `file` is read from it; `file` must still be one of `serve.pipelines`.',
} as const

/** The request body of `POST /v1/runs` (validated by fastify; documented as is). */
export const RUN_SUBMISSION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    file: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      default: 'jobs.yml',
      description: 'Pipeline file, relative to the served project: one of `serve.pipelines` in its configuration (default `["jobs.yml"]`); any other name is a 403 `pipeline_not_allowed`, whether or not such a file exists.',
    },
    targets: {type: 'array', maxItems: 256, items: {type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$'}, description: 'Jobs to run with what they need; empty = every job.'},
    noCache: {type: 'boolean'},
    failFast: {type: 'boolean'},
    cleanup: {enum: CLEANUP},
    concurrency: {type: 'integer', minimum: 1, maximum: 64, description: 'Jobs of this run at once; default from the configuration.'},
    env: {type: 'object', maxProperties: 256, additionalProperties: {type: 'string'}, propertyNames: {pattern: '^[A-Za-z_][A-Za-z0-9_]*$'}},
    tree: TREE_DIGEST_SCHEMA,
  },
} as const

const errorResponse = (description: string): unknown => ({description, content: {'application/json': {schema: ref('Error')}}})

/** Error replies every route but the public `/healthz` may give (the token is checked before anything else is said). */
export const COMMON_ERRORS = {
  400: errorResponse('The request is malformed.'),
  401: errorResponse('`unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one.'),
  403: errorResponse('`insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server.'),
  404: errorResponse('No such run, job or artifact.'),
  500: errorResponse('Unexpected server error.'),
}

export const json = (name: string, description: string): unknown => ({description, content: {'application/json': {schema: ref(name)}}})
export {errorResponse, ref}

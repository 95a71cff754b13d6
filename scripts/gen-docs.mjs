#!/usr/bin/env node
// Generates the reference pages that must not drift from the code:
//   docs/jobs-yml.md  from schemas/jobs.schema.json (the one source of truth of jobs.yml)
//   docs/cli.md       from oclif.manifest.json (built from src/commands by `npm run build`)
//   docs/architecture.md's picture of the folders from src/'s imports (scripts/import-graph.mjs)
// `node scripts/gen-docs.mjs` writes them; `--check` only compares (exit 1 when stale).
// test/docs/*.test.ts import the render functions and compare in memory.
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {architectureDiagram, folderGraph, sourceImports, withDiagram} from './import-graph.mjs'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const GENERATED = (source) => `<!-- Generated from ${source} by scripts/gen-docs.mjs: edit the source and run \`npm run docs\`. -->\n\n`

/** docs/jobs-yml.md: fixed prose around tables generated from the schema. */
export function jobsReference(schema) {
  const defs = schema.$defs
  // Limits are one definition shared by jobs and services; each table lists its keys.
  const inline = (object, key) => ({...object, properties: {...object.properties, [key]: {...defs[key], description: object.properties[key].description}}})
  const job = inline(defs.job, 'resources')
  const stepObject = defs.step.oneOf.find((s) => s.type === 'object')
  // The readiness check's keys are listed under `ready.`, like a job's `resources.`.
  const serviceObject = inline(inline(defs.service.oneOf.find((s) => s.type === 'object'), 'ready'), 'resources')
  return [
    GENERATED('schemas/jobs.schema.json'),
    JOBS_INTRO,
    '## Top level\n\n',
    table(rows(schema, schema.required ?? [])),
    '\n## Job\n\n',
    `${job.description}\n\n`,
    table(rows(job, job.required ?? [])),
    '\n## Service\n\n',
    `${defs.services.description} ${defs.service.description}\n\n`,
    table(rows(serviceObject, serviceObject.required ?? [])),
    SERVICES_NOTES,
    '\n## Step\n\n',
    `${defs.step.description}\n\n`,
    table(rows(stepObject, stepObject.required ?? [])),
    '\nBeware YAML\'s scalars: `- true` or `- 42` as a step is a boolean or a number, not a command; quote it.\n',
    '\n## Value types\n\n',
    termTable(defs),
    JOBS_OUTRO,
  ].join('')
}

const JOBS_INTRO = `# \`jobs.yml\` reference

\`jobs.yml\` (version 1) describes the jobs orca runs. It is validated against
[\`schemas/jobs.schema.json\`](../schemas/jobs.schema.json), which ships in the npm package. Point
your editor's YAML language server at it for completion and hints; \`orca init\` writes this line at
the top of the files it generates:

\`\`\`yaml
# yaml-language-server: $schema=./node_modules/${PACKAGE.name}/schemas/jobs.schema.json
\`\`\`

when the project's \`package.json\` lists ${PACKAGE.name} (the schema of the installed version, published
or not), else the copy published with the version that wrote the file:

\`\`\`yaml
# yaml-language-server: $schema=https://cdn.jsdelivr.net/npm/${PACKAGE.name}@${PACKAGE.version}/schemas/jobs.schema.json
\`\`\`

Check a file without running anything with \`orca validate [-f FILE]\`.

## Example

\`\`\`yaml
version: 1
image: busybox:1.36
env: { CI: "true" }
jobs:
  build:
    image: node:20-bookworm
    inputs: ["src/**", "package*.json"]
    env: { NODE_ENV: production }
    secrets: [NPM_TOKEN]
    timeout: 10m
    resources: { cpus: 2, memory: 1g, pids: 512 }
    volumes:
      npm-cache: /root/.npm
    steps:
      - npm ci
      - name: compile
        run: npm run build
        timeout: 5m
    artifacts: ["dist/**"]
  test:
    needs: [build]
    steps: [npm test]
  build-and-test:
    needs: [build, test]
\`\`\`

## Conventions

- **Names** (jobs) match \`^[a-z0-9][a-z0-9_-]*$\`: lowercase letters, digits, \`-\` and \`_\`.
- **Durations** are strings of number+unit parts: \`250ms\`, \`90s\`, \`5m\`, \`1h30m\`, \`7d\`.
- **Sizes** are \`512m\`, \`1g\`, \`1.5GiB\`, \`100kb\` (binary units, as Docker) or a number of bytes.
- **Globs** are relative; they may not be absolute nor climb out with \`../\`. In \`inputs\`, a glob
  starting with \`!\` excludes what it matches (a list of only exclusions starts from the default inputs).
- YAML anchors, aliases and merge keys (\`<<: *base\`) work. With its aliases expanded a file may hold at most
  200,000 values and 16 MiB of text (an alias bomb is refused before it is expanded), and an alias may not
  name a value that contains it. The file itself may be at most 1 MiB.

`

const SERVICES_NOTES = `
A service is one container started beside its job, as \`services:\` in GitHub Actions and GitLab CI:

\`\`\`yaml
version: 1
jobs:
  test:
    image: node:20
    services:
      db:
        image: postgres:16
        env: { POSTGRES_PASSWORD: test }
        aliases: [postgres]
        ready: { command: "pg_isready -U postgres", timeout: 30s }
      cache: redis:7          # an image alone: every option at its default
    env: { DATABASE_URL: "postgres://postgres:test@db:5432/postgres" }
    steps: [npm test]
\`\`\`

- **Network.** Each job with services gets a network of its own (\`orca-<run>-<job>\`); the job's container
  and its services join it, each service reachable by its name and aliases, the job's container by the
  job's name. Services of one job never see another job's.
- **Start.** Every service of a job starts at once, while the job's container is created and its inputs
  copied in; the first step runs once every service is ready. Images are pulled like the job's.
- **Ready.** \`ready.command\` runs with \`sh -c\` inside the service's container until it exits 0;
  \`ready.tcp\` waits until a process in it listens on that port (read from its \`/proc/net/tcp\`, so the
  image needs \`sh\`); with neither, the image's \`HEALTHCHECK\` decides when it has one (healthy = ready),
  else the service is ready once it started. A service that is not ready after \`ready.timeout\` (30s by
  default), or that exits first, fails the job with \`service db not ready after 30s\` and its last log
  lines; the steps do not run.
- **Logs.** Each service's output is kept in the run directory as \`logs/<job>.services/<service>.log\`,
  secrets masked; when the job fails, the last lines of each are shown.
- **Environment.** A service gets its own \`env\` and \`secrets\` only, not the pipeline's or the job's.
  Unlike a job's secrets (given to each step), a service's are in its container's configuration,
  where \`docker inspect\` shows them.
- **Cleanup.** Services are labelled and hardened like job containers and go with their job: removed
  when it is, kept (stopped, \`orca.kept=true\`, moved to the default bridge) when it is kept; the network
  is always removed. Cancelling a run or a job's timeout stops them too.
- **Cache key.** A service's image (reference and ID), env, secret names, command, entrypoint, aliases
  and readiness check are part of its job's key; \`orca explain\` names a changed service.
- **Top level.** \`services:\` at the top level applies to every job with steps; a job's own service of
  the same name replaces it.
`

const JOBS_OUTRO = `
## Matrices

\`matrix:\` runs a job once per combination of values, as GitHub Actions' \`strategy.matrix\` does:

\`\`\`yaml
version: 1
image: busybox:1.36
jobs:
  test:
    matrix:
      node: [18, 20, 22]
      db: [pg, mysql]
      exclude:
        - { node: 18, db: mysql }        # every combination it matches goes
      include:
        - { node: 22, db: pg, coverage: "yes" }   # adds a value to test (node=22, db=pg)
        - { node: 23, db: pg }                    # changes a listed value: a combination of its own
    max-parallel: 2
    env:
      NODE_VERSION: "\${{ matrix.node }}"
      DB: \${{ matrix.db }}
      COVERAGE: \${{ matrix.coverage }}
    steps:
      - echo "node $NODE_VERSION on $DB"
  report:
    needs: [test]                        # every expansion of test
    when: always
    steps: ["echo report"]
\`\`\`

- **Combinations.** The variables given as lists are combined, the first varying slowest. Each
  \`exclude\` entry removes every combination it matches (a partial match is enough). Then each \`include\`
  entry, in order, is added to every combination whose listed values it does not change (a value an
  earlier include added may be overwritten); an entry that fits no combination becomes a combination of
  its own. A matrix of only \`include\` runs each entry. These are GitHub's rules; values are compared as
  text (\`20\` and \`"20"\` are the same value). At most 256 combinations; an empty list, a value listed
  twice, an \`exclude\` naming a variable the matrix does not list or matching nothing, and a matrix left
  with no combination are errors.
- **Each combination is a job** with a name of its own (its *id*): a path in the run directory
  (\`logs/test-node20-pg.log\`), a key in \`run.json\`, a target (\`orca run test-node20-pg\`), its own
  cache key and container. By default the id is the job's name and the values of the listed
  variables, lowercased, other characters turned into \`-\`, a value starting with a digit led by its
  variable: \`test-node20-pg\`, \`test-node22-pg\`. \`id:\` sets a template instead, e.g.
  \`id: "unit-\${{ matrix.db }}-\${{ matrix.node }}"\` (values lowercased the same way). Two combinations
  that would get the same id, or an id that is another job's name, is an error that names both.
- **Display names.** The views (plain output, the live view, \`orca show\`, the CI summary) show each
  expansion as \`test (node=20, db=pg)\` (every value, included ones too); \`name:\` sets a template.
  \`orca validate\` lists every expansion with its id and display name, and \`orca run --dry-run\` shows them.
- **\`\${{ matrix.NAME }}\`** is replaced by the combination's value in every value of a matrix job —
  \`image\`, \`env\`, \`steps\`, \`inputs\`, \`artifacts\`, \`workdir\`, \`volumes\` and so on — but not in
  \`needs\`, \`if\` (which reads \`matrix.NAME\` itself), \`when\`, \`matrix\`, \`id\` (a template of its
  own) or keys. A variable this combination lacks (one only some includes add) is empty. Only
  \`matrix.NAME\` may appear between \`\${{\` and \`}}\` in a matrix job; a job without a matrix keeps any
  other \`\${{ … }}\` text as written, but may not use \`\${{ matrix.… }}\`. The interpolated values are
  checked like any other (an image, a duration…), and an error points at the template, naming the
  expansion it failed in.
- **\`needs: [test]\`** (or a target \`test\`) means every expansion; a need (or target) may also name one
  expansion, e.g. \`needs: [build-linux]\` for the job that tests the Linux build, and its \`if\` reads
  \`needs.build-linux.result\`. \`max-parallel: N\` runs at most N of them at once (within \`--concurrency\`).

## Conditions

A job runs when its needs succeeded. Two keys change that:

- **\`when:\`** (GitLab CI's word) on a job: \`on_success\` (default), \`on_failure\` — runs only when a job it
  depends on, directly or not, failed or timed out (a report, a notification, a rollback) — or
  \`always\` — runs once its needs are settled, whatever their states (a clean-up). On a step: \`on_success\`
  (default: no earlier step failed), \`on_failure\` (one did) or \`always\`. Such steps run in the job's
  container after the failing step (so they see its files); the job stays failed. After a timeout or a
  cancel no further step runs.
- **\`if:\`** on a job: an expression, evaluated once the job's needs are settled (GitHub Actions' syntax;
  \`\${{ … }}\` around it is optional):

  | form | meaning |
  | --- | --- |
  | \`env.NAME\` | the job's environment (top-level and job \`env\`, \`-e\` values; never secrets); unset = empty |
  | \`matrix.NAME\` | this expansion's value |
  | \`needs.JOB.result\` | \`success\` (succeeded or cached), \`failure\` (failed or timed out), \`cancelled\` or \`skipped\`, for a job in \`needs\`; of a matrix job, the worst of its expansions' |
  | \`needs.JOB.outputs.NAME\` | an output \`JOB\` handed on (see Outputs); empty when it wrote none. Reading one does not make the \`if\` decide on the needs' states |
  | \`success()\`, \`failure()\`, \`always()\`, \`cancelled()\` | every need succeeded · a job it depends on failed · true · false (a cancelled run starts no job) |
  | \`'text'\` (a quote inside written \`''\`), \`20\`, \`true\`, \`false\`, \`null\` | literals |
  | \`==\`, \`!=\` | compare as text (case matters): \`matrix.node == 20\` holds for \`"20"\` |
  | \`!\`, \`&&\`, \`||\`, \`( )\` | in that order of precedence; \`false\`, \`null\`, \`''\` and \`0\` are false |

  An \`if\` that reads \`needs.JOB.result\` or calls a status function decides on the needs' states itself:
  \`if: needs.test.result == 'failure'\` runs a job exactly when \`test\` failed (GitHub Actions would add
  \`success() &&\` and never run it). Any other \`if\` applies on top of \`when\` (default \`on_success\`): \`if:
  env.DEPLOY == 'true'\` runs when every need succeeded and \`DEPLOY\` is \`true\`. \`when\` together with an \`if\`
  that decides itself is an error. \`orca validate\` checks every expression: syntax, and names (a
  variable the matrix lacks, a job not in \`needs\`, an unknown function), each at its line and column.

A job a condition leaves out is \`skipped\` with the reason (\`if: env.DEPLOY == 'true' is false\`,
\`when: on_failure, and no job it depends on failed\`) in its \`job.skipped\` event, \`run.json\`, every
view and the JUnit report; so are the jobs behind it. Such skips do not fail the run: it succeeds when
every other job did. \`on_failure\` and \`always\` jobs and a deciding \`if\` wait until every job they depend
on is settled. A cancelled run, and \`--fail-fast\` after a failure, start no job, these included.

## Artifacts and reports of failed jobs

\`artifacts:\` as a list is collected when the job succeeds. Written as \`{paths, when}\`, \`when\` says after
which ends: \`on_success\` (the default), \`on_failure\` (the job failed or timed out: screenshots, logs,
a core dump) or \`always\`. After a failure or a timeout the files are copied from the stopped container;
they go to the run directory (\`artifacts/<job>/\`, listed by \`artifacts/<job>.json\` like any artifacts)
and to the jobs that run after the failure (\`when: on_failure\` or \`always\` jobs that need it), never to
the cache: a failed job is never a cache entry. A cancelled job collects nothing.

\`reports: {junit: [globs]}\` names the JUnit XML files a job writes (the Ant/Jenkins dialect most test
runners produce). They are collected whatever the job's state — succeeded, failed or timed out — into
\`reports/<job>/\` in the run directory, and read: the job's line says \`(tests: 48, 2 failed, 1 skipped)\`,
the \`--junit\` file holds each report's testcases under the job's \`<testsuite>\` (the file GitLab reads
as \`artifacts:reports:junit\`), GitHub Actions gets an \`::error\` annotation for each failed test (at
its \`file\` and \`line\` when the report says where) and a table of counts in the step summary. A file
that is not a JUnit document is a warning, its tests not counted. A succeeded job's reports are cached
with it and come back on a hit.

\`\`\`yaml
version: 1
image: node:22
jobs:
  test:
    steps: ["npm test -- --reporter=junit --reporter-option output=out/junit.xml"]
    artifacts:
      paths: [out/screenshots/**]
      when: on_failure
    reports:
      junit: [out/junit.xml]
\`\`\`

## Outputs

A job hands values to the jobs that need it as GitHub Actions' steps do through \`$GITHUB_OUTPUT\`: it
lists their names under \`outputs:\`, and a step appends \`NAME=value\` lines — or, for several lines,
\`NAME<<DELIMITER\` … \`DELIMITER\` — to the file \`$ORCA_OUTPUT\` names. A dependent reads them as
\`\${{ needs.JOB.outputs.NAME }}\` in an \`env\` value (the job's or a step's), replaced when it starts, and
as \`needs.JOB.outputs.NAME\` in its \`if\`. They are in \`env\` only, never pasted into a command, so a
value cannot inject shell: pass it as a variable.

\`\`\`yaml
version: 1
image: busybox:1.36
jobs:
  build:
    outputs: [version]
    steps: ['echo "version=$(cat VERSION)" >> "$ORCA_OUTPUT"']
  release:
    needs: [build]
    if: needs.build.outputs.version != ''
    env: {VERSION: "\${{ needs.build.outputs.version }}"}
    steps: ['echo "releasing $VERSION"']
\`\`\`

Only declared names are handed on (a line naming another is a warning); an output holding a secret's
value is not handed on at all (a warning says so), as GitHub Actions does. Outputs are recorded in
\`run.json\` and a \`job.outputs\` event (masked), cached with the job and restored on a hit. \`orca
validate\` checks each reference: the job is in \`needs\`, declares the output, and is not a matrix job
(whose expansions each have their own).

## What a job takes from its needs

Every need's artifacts are placed in the job's workspace, in the order of \`needs\`. A need written
\`{job: NAME, artifacts: false}\` gives none, \`{job: NAME, artifacts: [globs]}\` only those the globs
match. When two needs deliver different content at one path, the later need's file is placed and the
job gets an \`artifact-clash\` warning naming both jobs and the path (in its output, \`run.json\` and
every view), so the choice is never silent; the same file from both is no clash. It is a warning, not
an error, because a file valid until now stays valid and means the same, and because the clash is
known only once both needs ran; choose with \`needs\` objects to make it go away.

\`\`\`yaml
version: 1
image: busybox:1.36
jobs:
  web:
    steps: ["mkdir -p dist/web && echo web > dist/web/index.html && echo web > dist/VERSION"]
    artifacts: [dist/**]
  api:
    steps: ["mkdir -p dist/api && echo api > dist/api/server.js && echo api > dist/VERSION"]
    artifacts: [dist/**]
  bundle:
    # Only web's pages: its dist/VERSION would clash with api's.
    needs: [{job: web, artifacts: [dist/web/**]}, api]
    steps: ["tar -cf bundle.tar dist"]
\`\`\`

## Images

A job's \`image\` is a reference to pull, or an image built from the project:

\`\`\`yaml
version: 1
jobs:
  test:
    image:
      build:
        context: ci            # a folder of the project (default: the project); its .dockerignore is honoured
        dockerfile: Dockerfile # relative to the context (default)
        args: {NODE: "20"}     # ARG values
        target: test           # a stage of a multi-stage Dockerfile (default: the last)
    steps: [npm test]
  arm:
    image: node:20-bookworm
    platform: linux/arm64      # pulled and run for this platform; an image of another is refused
    pull: always               # missing (default) | always | never
    steps: [uname -m]
\`\`\`

- **Built once, reused while unchanged.** Every job naming the same build (context, Dockerfile, args,
  target, platform) shares one image, built once per run and tagged \`orca-build/<project id>:<digest>\`
  by the content of its context and definition; a later run whose context is unchanged finds it by
  that tag and builds nothing. The context's files (what \`.dockerignore\` leaves) and the build's
  definition are part of the job's key, so a change to one of them is a miss, and \`orca explain\`
  names it (\`image build context changed: app/package.json\`). The base image a Dockerfile names in
  \`FROM\` is not resolved into the key: pin it by digest when that matters. A job whose key is a hit
  needs no image, so nothing is built for it.
- **The classic builder.** Images are built through the engine's API with its classic builder, which
  every Docker and Podman engine offers; the \`FROM\` image is pulled only when the engine lacks it.
  BuildKit-only syntax (\`# syntax=\`, \`RUN --mount\`, \`COPY --link\`, here-documents) is refused with the
  line that uses it. The build's output is part of the log of each job that waits for it.
- **Each image on its own.** Every distinct image of a run (a reference with its pull policy and
  platform, or a build) is pulled or built once, side by side with the others; pulls start as soon as
  the run is planned, builds when a job that runs needs them. A job waits only for its own image, and
  an image that cannot be pulled or built fails only the jobs that use it (\`error.kind: image\`, exit
  code 1), with the reason and what to do: a registry that refused for credentials says so and names
  \`docker login HOST\`.
- **Pull policy.** \`missing\` pulls what the engine lacks (or has only for another platform);
  \`always\` pulls before every run, so a moved tag is seen (the image ID is in the key); \`never\` uses
  what the engine has and fails the job otherwise. The default comes from the job, then the top level,
  then \`defaults.pull\` in the configuration (or \`ORCA_PULL\`).
- **Private registries.** Credentials come from \`ORCA_REGISTRY_AUTH\` (for CI), \`registries:\` in the
  configuration, or Docker's own login (\`docker login\`: \`$DOCKER_CONFIG/config.json\` or
  \`~/.docker/config.json\`, with \`auths\`, \`credHelpers\` and \`credsStore\`), in that order; see
  [configuration](configuration.md#private-registries). They go to the engine only, and passwords orca
  is given are masked like secrets.

## Shells

A step's \`run\` text is given to its shell: the step's \`shell:\`, else its job's, else \`sh\`.

| \`shell\` | runs | notes |
| --- | --- | --- |
| \`sh\` (default) | \`sh -e -c RUN\` | stops at the first failing command; a pipeline's status is its last command's |
| \`bash\` | \`bash --noprofile --norc -eo pipefail -c RUN\` | as GitHub Actions' \`bash\`: \`false \\| true\` fails too; the image must have bash |
| a command holding \`{0}\` | the command, \`{0}\` replaced by the path of a file holding \`run\` | e.g. \`python3 {0}\`, \`perl {0}\`, \`bash -x {0}\`; split at spaces, without quoting |

A shell other than \`sh\` is looked up in the container first: an image without it fails the step
with \`orca: this image has no bash (the step's shell: bash); use an image that has it, or another
shell\` (exit code 127), not an exec error. The shell is part of the step's key (a step without one
keeps the key it had before \`shell\` existed).

\`\`\`yaml
version: 1
jobs:
  test:
    image: node:20-bookworm
    shell: bash                  # every step of the job
    steps:
      - npm test | tee test.log  # fails when npm test does, thanks to pipefail
      - name: report
        shell: python3 {0}       # this step only
        run: |
          import json; print(json.load(open("package.json"))["version"])
\`\`\`

## Includes

\`include:\` lists other YAML files of the project whose jobs (and \`x-\` templates) join the pipeline,
as GitLab CI's \`include: local\`:

<!-- example: not run — the files it includes are the next example and one left to imagine -->
\`\`\`yaml
# jobs.yml
version: 1
image: node:20-bookworm
include: [ci/test.yml, ci/release.yml]
jobs:
  build: {steps: [npm ci, npm run build], artifacts: [dist/**]}
\`\`\`

<!-- example: not run — an included file, valid only with the file that includes it -->
\`\`\`yaml
# ci/test.yml
jobs:
  test: {needs: [build], steps: [npm test]}
\`\`\`

- A path is relative to the file that names it, and must stay inside the project (the folder of the
  main jobs file): an absolute path, a \`../\` that leads out, or a symbolic link to a file outside is
  an error where the path is written.
- An included file holds \`jobs\`, \`x-\` keys, \`include\` (it may include further files) and optionally
  \`version: 1\`; pipeline-wide settings (\`image\`, \`env\`, \`services\`) belong to the main file and apply
  to every job, wherever it is written.
- The main file's jobs come first, then each included file's, in the order the includes are read.
  A job (or an \`x-\` template) defined in two files is an error naming both places; a file included
  twice joins once; a cycle (\`a.yml\` including \`b.yml\` including \`a.yml\`) is an error.
- Every error in an included file is reported as \`ci/test.yml:LINE:COLUMN\`, in that file.
- YAML anchors do not cross files: share values between files with \`extends\` and \`x-\` templates.
- The limit on aliases' expansion (an alias bomb is refused) counts every file of the pipeline together.
- Like the main jobs file, included files are orca's own files: not default inputs of jobs (what they
  say is already in the key of the jobs they define); an edit to one changes the key of the jobs it
  defines.

## Extends

\`extends:\` builds a job on other jobs or on \`x-\` templates (top-level keys starting with \`x-\`, which
orca otherwise ignores: a home for shared settings and YAML anchors, as in Docker Compose). The rules
are GitLab CI's:

- \`extends: NAME\` or \`extends: [A, B]\`: the templates are applied in order, then the job's own keys;
- mappings (\`env\`, \`resources\`, \`services\`, \`matrix\`, …) merge key by key, at every depth; any other
  value (a string, a number, a list such as \`steps\`, \`needs\` or \`artifacts\`) replaces the one before;
- a template may extend others (chains are followed); a cycle (\`a -> b -> a\`) and a name that is
  neither a top-level key nor a job are errors where \`extends\` names them;
- a name is looked up among the top-level \`x-\` keys first, then among the jobs (a job stays a job of
  its own when others extend it);
- the merged job is checked as if it were written out: an error in a value that came from a template
  points at the template's line, in its file.

\`\`\`yaml
version: 1
x-node: &node
  image: node:20-bookworm
  env: {CI: "true", NODE_ENV: test}
  volumes: {npm-cache: /root/.npm}
jobs:
  test:
    extends: x-node
    env: {NODE_ENV: production}   # CI stays "true"
    steps: [npm ci, npm test]
  lint:
    extends: test
    steps: [npm ci, npm run lint] # replaces test's steps
\`\`\`

## Environment files and passed variables

\`env_file: .env\` (or a list) gives a job the variables of dotenv files of the project. The files are
inputs of the job, whatever its \`inputs\` globs (and even when \`.gitignore\` ignores them): an edit
changes its key, and \`orca explain\` names the file. They are read when the run starts; a missing or
malformed file is an error (exit 2) before anything runs. The format:

- \`NAME=value\` a line, optionally \`export NAME=value\`; blank lines and lines starting with \`#\` are skipped;
- a bare value is trimmed, and \` #\` (a \`#\` after a space) starts a comment;
- \`'single quotes'\` keep the text as written, lines included;
- \`"double quotes"\` understand \`\\n\`, \`\\r\`, \`\\t\`, \`\\"\`, \`\\\\\` and \`\\$\`, and may span lines;
- nothing is expanded: \`$HOME\` stays the five characters \`$HOME\`; a name given twice keeps the last value.

\`pass_env: [NAME, …]\` passes variables of orca's own environment through by name, as Docker Compose's
\`environment: [NAME]\`. Their values are part of the job's key (a change reruns it, and \`orca explain\`
names the variable); a variable that is not set is absent in the job, and the key records it as not
set. A name also listed in \`secrets\` is a secret: masked in logs, and in the key by name only. A name
may not be both in \`env\` and \`pass_env\`.

\`\`\`yaml
version: 1
jobs:
  e2e:
    env_file: [ci/e2e.env]
    pass_env: [HOME_REGION, CODECOV_TOKEN]
    secrets: [{name: CODECOV_TOKEN, required: false}]
\`\`\`

## Optional secrets

A secret written as a name is required: a run whose jobs name a secret that is not set in orca's
environment stops before it starts (exit 2). Written \`{name: CODECOV_TOKEN, required: false}\`, a secret
that is not set is simply absent from the job's environment (a step tests \`[ -n "$CODECOV_TOKEN" ]\`).
The key lists the secrets the job gets, by name: setting an optional secret later reruns the job.

## Host jobs

\`runs-on: host\` runs a job's steps on this machine instead of in a container, for what a container
cannot do: a macOS or Windows leg, a toolchain only the host has (Xcode, a licensed compiler, a GPU
driver). It is an explicit opt-in, and orca marks it everywhere: \`orca validate\` lists the host jobs,
\`--dry-run\` shows \`(host)\` where other jobs show their image, the views put \`(host)\` after the
job, and \`run.json\` records \`executor: host\`. [Running](running.md#host-jobs) says how such a job
runs; in short, the steps run with the same \`sh -e -c\`, env, secrets and \`$ORCA_OUTPUT\` in a fresh
folder holding the job's inputs and its needs' artifacts, and a timeout or a cancel stops every
process a step started.

The host is not hermetic: the same inputs can give another result on a machine with another
compiler. So a host job is cached only when it says what identifies its toolchain: the commands under
\`host.key\` run (with \`sh -c\`, in the project directory) before the job is keyed, and what each
prints is part of the job's key. A new compiler changes the key and the job runs again;
\`orca explain\` names the command whose output changed. A host job without \`host.key\` is never
cached ("host job without key commands: always runs"), and the jobs that need it key on what it
produced, as with \`cache: false\`.

\`\`\`yaml
version: 1
jobs:
  build-macos:
    runs-on: host
    host:
      key: ["xcodebuild -version", "uname -sm"]
    inputs: ["Sources/**", "Package.swift"]
    steps: ["swift build -c release"]
    artifacts: [".build/release/app"]
  notarize:
    runs-on: host          # no host.key: runs every time
    needs: [build-macos]
    steps: ["./scripts/notarize.sh .build/release/app"]
\`\`\`

A host job has no image (nor pull policy or platform), services, named volumes, user, network, resources or workdir: setting one is
an error rather than a setting silently ignored (top-level services are not started beside it).
\`orca serve\` refuses a run with host jobs unless its configuration sets \`serve.allowHost: true\`.

## Coming from GitHub Actions or GitLab CI

\`orca import github\` and \`orca import gitlab\` write a jobs.yml from your workflows or pipeline, with a
report of what did not come over as it was: see [Migrating](migrating.md). The keys compare as follows.

| GitHub Actions | GitLab CI | orca |
| --- | --- | --- |
| \`strategy.matrix\` (lists, \`include\`, \`exclude\`) | \`parallel: matrix\` (a list of variable sets) | \`matrix:\` — GitHub's rules; a GitLab list of sets is \`include:\` |
| \`strategy.max-parallel\` | — | \`max-parallel:\` |
| \`strategy.fail-fast\` | — | \`orca run --fail-fast\` (whole run) |
| \`\${{ matrix.node }}\` | \`$NODE\` (matrix values are variables) | \`\${{ matrix.node }}\` in any value; set \`env:\` from it to see it as a variable |
| \`name: Node \${{ matrix.node }}\` | job name \`test: [20]\` | \`name:\` template; default \`test (node=20)\` |
| \`needs: [test]\` | \`needs: [test]\` | \`needs: [test]\`: every expansion |
| \`if: failure()\` | \`when: on_failure\` | either |
| \`if: always()\` | \`when: always\` | either |
| \`if: needs.test.result == 'failure'\` | — | the same (without GitHub's implied \`success() &&\`) |
| \`if: github.ref == 'refs/heads/main'\` | \`rules: - if: $CI_COMMIT_BRANCH == "main"\` | \`if: env.BRANCH == 'main'\` with \`-e BRANCH=…\` |
| \`continue-on-error: true\` (step) | \`allow_failure: true\` | \`allow_failure: true\` on the step |
| step \`if: failure()\` / \`always()\` | \`after_script\` | step \`when: on_failure\` / \`always\` |
| \`if: failure()\` step with \`actions/upload-artifact\` | \`artifacts: {paths, when: on_failure}\` | \`artifacts: {paths: [...], when: on_failure}\` |
| \`if: always()\` + \`upload-artifact\` | \`artifacts:when: always\` | \`artifacts: {paths: [...], when: always}\` |
| a test-report action (\`dorny/test-reporter\`, …) | \`artifacts:reports:junit\` | \`reports: {junit: [globs]}\` (and \`orca run --junit FILE\` for GitLab) |
| job \`outputs:\` + \`echo "v=1" >> $GITHUB_OUTPUT\` | \`artifacts:reports:dotenv\` | \`outputs: [v]\` + \`echo "v=1" >> "$ORCA_OUTPUT"\` |
| \`\${{ needs.build.outputs.v }}\` | \`$V\` (from the dotenv report) | \`\${{ needs.build.outputs.v }}\` in \`env\` |
| — | \`dependencies: [build]\` / \`needs: [{job: build, artifacts: false}]\` | \`needs: [{job: build, artifacts: [globs] \\| false}]\` |
| \`jobs.<id>.services.db: {image: postgres:16, env: {…}}\` | \`services: [{name: postgres:16, alias: db, variables: {…}}]\` | \`services: {db: {image: postgres:16, env: {…}}}\` (job or top level) |
| — (the service id is its host name) | \`alias: db,postgres\` | service \`aliases: [postgres]\` |
| \`options: --entrypoint …\` | \`command\`, \`entrypoint\` | service \`command\`, \`entrypoint\` |
| \`options: --health-cmd pg_isready --health-interval 1s\` | — (waits for the exposed ports) | service \`ready: {command: "pg_isready", timeout: 30s, interval: 1s}\` |
| — | the wait for exposed ports (\`wait_for_services_timeout\`) | service \`ready: {tcp: 5432}\` |
| \`localhost:5432\` with \`ports\` mapped, or \`db:5432\` in a container job | \`db:5432\` (its alias) | the service reached at \`db:5432\` |
| \`jobs.<id>.container: {image: ghcr.io/org/img, credentials: {username, password}}\` | \`image:\` + \`DOCKER_AUTH_CONFIG\` | \`image: ghcr.io/org/img\` + \`docker login ghcr.io\`, \`ORCA_REGISTRY_AUTH\` or \`registries:\` |
| a \`docker build\` step, then \`container:\` naming the pushed image | \`image:\` of an image built in an earlier stage | \`image: {build: {context, dockerfile, args, target}}\` |
| \`docker pull --platform\` | \`image: {name, docker: {platform}}\` | \`platform: linux/arm64\` |
| — | \`image: {pull_policy: [always]}\` | \`pull: always\` |
| \`shell: bash\` (\`bash -eo pipefail\`) | bash when the image has it (no pipefail unless the script sets it) | \`shell: bash\` |
| \`shell: python {0}\` | — | \`shell: python3 {0}\` |
| YAML anchors (not supported by GitHub) | hidden jobs \`.base:\` and YAML anchors | top-level \`x-base:\` keys (anchors welcome) |
| reusable workflows, composite actions | \`extends: .base\` (also a list) | \`extends: x-base\` (also a list, or another job) |
| — | \`include: local: ci/test.yml\` (or a list of paths) | \`include: [ci/test.yml]\` (project files only) |
| \`env:\` from a file: a step \`cat .env >> $GITHUB_ENV\` | \`variables:\` / \`artifacts:reports:dotenv\` | \`env_file: .env\` |
| \`env: {REGION: \${{ vars.REGION }}}\` | CI/CD variables | \`pass_env: [REGION]\` (value in the key) |
| \`secrets.CODECOV_TOKEN\` (empty when unset) | masked variables | \`secrets: [{name: CODECOV_TOKEN, required: false}]\` |
| \`runs-on: macos-latest\` / \`self-hosted\` (steps on the runner) | a job \`tags:\`-routed to a shell executor | \`runs-on: host\` (this machine), cached only with \`host.key\` |
| \`actions/checkout\` with \`fetch-depth: 0\` (or \`fetch-depth: 20\`) | \`GIT_DEPTH: 0\` (or \`GIT_DEPTH: 20\`) | \`git: true\` (or \`git: {depth: 20}\`); without it the job has no \`.git\` |
| \`docker build\` on the runner (its engine is the job's) | \`services: [docker:dind]\` + \`DOCKER_HOST\` | \`docker: true\` (the host's engine: a loud escape hatch, refused by \`orca serve\` unless \`serve.allowDocker\`) |
| a retry action (\`nick-fields/retry\`), or re-running failed jobs | \`retry: 2\`, \`retry: {max: 2, when: [runner_system_failure, script_failure]}\` | \`retry: 2\`, \`retry: {max: 2, when: [infra, failure, timed_out]}\`; \`$ORCA_JOB_ATTEMPT\` like \`$GITHUB_RUN_ATTEMPT\` |
| \`container: {image: …, options: --user 1000}\` | \`docker: user: 1000\` (runner configuration) | \`user: "1000"\` (or \`"1000:1000"\`, or a name the image knows); default the image's \`USER\` |

## Environment values

Values may be strings, numbers or booleans; orca turns them into strings (\`CI: true\` → \`"true"\`).
Precedence inside a step: step \`env\` > secrets > \`-e\` > \`pass_env\` > job \`env\` > top-level \`env\` > \`env_file\`.

## Checks beyond the schema

- every name in \`needs\` is a job of the file (a close match is suggested);
- \`needs\` form no cycle (reported as \`a -> b -> a\`);
- a job name appears once (YAML would silently keep the last);
- a job name (and an \`x-\` key) appears once across the main file and the files it includes, an
  include path stays in the project and includes form no cycle; \`extends\` names a top-level key or
  a job and forms no cycle (see Includes and Extends);
- an \`env_file\` path is relative and stays in the project; no name is both in \`env\` and \`pass_env\`;
- every job with steps has an image (its own, the top-level one, or the configured default), unless
  it runs on the host;
- no \`inputs\` or \`artifacts\` glob is absolute or climbs out with \`../\`, nor can match no file the
  artifact store keeps: an empty segment (\`src//x\`), a \`.\` or \`..\` segment inside (\`a/./b\`), or a
  trailing \`/\` (write \`dist/**\` for everything under \`dist\`); a leading \`./\` is fine;
- no volume is mounted at \`/\`, and no two volumes of a job at one path;
- on a job's network every host name is taken once: service names, their aliases and the job's own
  name; \`localhost\` is reserved;
- a job with services (its own or top-level ones) has a network (not \`network: none\`);
- a readiness check gives \`command\` or \`tcp\`, not both;
- a \`runs-on: host\` job sets none of \`image\`, \`services\`, \`volumes\`, \`user\`, \`network\`,
  \`resources\`, \`workdir\`, \`docker\`; \`host\` appears only on a \`runs-on: host\` job;
- no value holds a NUL byte (\`"\\0"\` in YAML): no command, variable or path can.
- a matrix expands into ids that are job names, distinct from each other and from every other job;
  \`\${{ … }}\` in a matrix job names a variable of its matrix;
- \`id\` and \`max-parallel\` come with a \`matrix\`; \`when: on_failure\` with \`needs\`;
- every \`if\` parses and names only what its job offers (see Conditions);
- \`\${{ needs.JOB.outputs.NAME }}\` appears in \`env\` values only, names a job in \`needs\` that declares
  \`NAME\` in its \`outputs\`; \`reports\` globs and the globs of \`needs\` objects follow the rules of
  artifact globs.

Every problem is reported at once, one per line, as \`file:line:column path: message\`, e.g.

\`\`\`
jobs.yml:12:14 jobs.build.timeout: expected a duration like "10m", got "ten"
jobs.yml:15:13 jobs.test.needs[0]: unknown job "biuld"; did you mean "build"?
\`\`\`

and \`orca validate\` (like \`orca run\`) exits with code 2.
`

// What a $ref to one of the schema's $defs is called in the tables.
const TERMS = {
  name: 'job name',
  duration: 'duration',
  image: 'image',
  envName: 'variable name',
  env: 'environment',
  glob: 'glob',
  cleanup: 'cleanup policy',
  when: 'when',
  matrixVariable: 'matrix variable',
  matrixValue: 'matrix value',
  matrixEntry: 'matrix combination',
  services: 'services',
  serviceName: 'service name',
  hostname: 'host name',
  step: 'step',
  job: 'job',
}

function rows(objectSchema, required, prefix = '') {
  const out = []
  for (const [key, property] of Object.entries(objectSchema.properties ?? {})) {
    const name = `${prefix}${key}`
    if (key === 'jobs' && !prefix) {
      out.push([code(name), 'map of job name → job', required.includes(key) ? 'yes' : '', property.description])
      continue
    }
    out.push([code(name), typeOf(property), required.includes(key) ? 'yes' : '', describe(property)])
    if (property.type === 'object' && property.properties) out.push(...rows(property, property.required ?? [], `${name}.`))
  }
  return out
}

function describe(property) {
  return property.description ?? ''
}

function typeOf(s) {
  if (s.$ref) {
    const def = s.$ref.split('/').pop()
    return TERMS[def] ?? def
  }
  if ('const' in s) return code(JSON.stringify(s.const))
  if (s.enum) return s.enum.map(code).join(' \\| ')
  if (s.oneOf) return s.oneOf.map(typeOf).join(' or ')
  if (s.type === 'array') return `list of ${typeOf(s.items)}s`
  if (s.type === 'object' && s.properties) return 'object'
  if (s.type === 'object' && typeof s.additionalProperties === 'object') {
    const key = s.propertyNames ? (s.propertyNames.$ref ? typeOf(s.propertyNames) : 'name') : 'name'
    return `map of ${key} → ${typeOf(s.additionalProperties)}`
  }
  if (s.type === 'string' && s.pattern === '^/') return 'absolute path'
  if (s.type === 'string' && s.pattern) return 'size'
  if (Array.isArray(s.type)) return s.type.join(' \\| ')
  if (s.type === 'integer' && s.minimum !== undefined) return `integer ≥ ${s.minimum}`
  if (s.type === 'number' && s.exclusiveMinimum !== undefined) return `number > ${s.exclusiveMinimum}`
  return s.type ?? 'any'
}

function termTable(defs) {
  const out = [['term', 'meaning']]
  for (const [def, term] of Object.entries(TERMS)) {
    if (!defs[def] || def === 'job' || def === 'step') continue
    // A long pattern (the image reference grammar) says less than its description: the schema has it.
    const shown = defs[def].pattern && defs[def].pattern.length <= 80 ? defs[def].pattern : undefined
    const pattern = shown ? ` Pattern: \`${shown}\`.` : defs[def].pattern ? ' The schema checks it with a pattern.' : ''
    out.push([term, `${defs[def].description}${pattern}`])
  }
  return table(out.slice(1), out[0])
}

function table(body, header = ['key', 'type', 'required', 'meaning']) {
  const line = (cells) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|').replaceAll('\\\\|', '\\|').replaceAll('\n', ' ')).join(' | ')} |`
  return `${[line(header), line(header.map(() => '---')), ...body.map(line)].join('\n')}\n`
}

const code = (text) => `\`${text}\``

/** docs/cli.md: every command of the manifest with its summary, usage, arguments, flags and examples. */
export function cliReference(manifest, bin = 'orca') {
  const commands = Object.values(manifest.commands)
    .filter((c) => !c.hidden)
    .sort((a, b) => a.id.localeCompare(b.id))
  const name = (c) => `${bin} ${c.id.split(':').join(' ')}`
  const out = [GENERATED('the commands in src/commands (oclif.manifest.json)'), '# Command reference\n\n']
  out.push('Every command prints its own help with `--help`. Exit codes are the same everywhere: `0` success, `1` a job failed,\n')
  out.push('`2` usage or configuration error, `3` infrastructure error (Docker unreachable, or an image missing), `130` cancelled.\n\n')
  for (const c of commands) out.push(`- [\`${name(c)}\`](#${anchor(name(c))}) — ${c.summary ?? ''}\n`)
  for (const c of commands) {
    out.push(`\n## \`${name(c)}\`\n\n`)
    if (c.summary) out.push(`${c.summary}\n\n`)
    const args = Object.values(c.args ?? {})
    const flags = Object.values(c.flags ?? {}).filter((f) => !f.hidden)
    const usage = [name(c), ...args.map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}${c.strict === false ? '...' : ''}]`)), ...(flags.length > 0 ? ['[FLAGS]'] : [])]
    out.push('```\n', `${usage.join(' ')}\n`, '```\n\n')
    if (c.description) out.push(`${c.description.trim()}\n\n`)
    if (args.length > 0) {
      out.push('### Arguments\n\n')
      out.push(table(args.map((a) => [code(a.name.toUpperCase()), a.description ?? '', a.required ? 'yes' : '']), ['argument', 'meaning', 'required']))
      out.push('\n')
    }
    if (flags.length > 0) {
      out.push('### Flags\n\n')
      out.push(table(flags.map((f) => [code(flagName(f)), flagMeaning(f)]), ['flag', 'meaning']))
      out.push('\n')
    }
    const examples = (c.examples ?? []).map((e) => (typeof e === 'string' ? {command: e} : e))
    if (examples.length > 0) {
      out.push('### Examples\n\n')
      for (const e of examples) {
        if (e.description) out.push(`${e.description.replace(/[.:]$/, '')}:\n\n`)
        const command = e.command.replaceAll('<%= config.bin %>', bin).replaceAll('<%= command.id %>', c.id.split(':').join(' '))
        out.push('```bash\n', `${command}\n`, '```\n\n')
      }
    }
  }
  // Sections end with a blank line and start with one: keep one.
  return `${out.join('').replaceAll(/\n{3,}/g, '\n\n').trimEnd()}\n`
}

function flagName(f) {
  const long = `--${f.type === 'boolean' && f.allowNo ? `[no-]${f.name}` : f.name}${f.type === 'option' ? `=${f.helpValue ?? 'VALUE'}` : ''}`
  return f.char ? `-${f.char}, ${long}` : long
}

function flagMeaning(f) {
  const parts = [f.description ?? '']
  if (f.options) parts.push(`one of ${f.options.map(code).join(', ')}`)
  if (f.default !== undefined && f.default !== false) parts.push(`default ${code(Array.isArray(f.default) ? f.default.join(',') : f.default)}`)
  if (f.env) parts.push(`from ${code(f.env)} when not given`)
  // Descriptions written for --help may say it already.
  if (f.multiple && !/\brepeatable\b/i.test(f.description ?? '')) parts.push('repeatable')
  if (f.required) parts.push('required')
  return parts.filter(Boolean).join('; ')
}

const anchor = (heading) => heading.toLowerCase().replaceAll(' ', '-')

/** The generated pages with their content, rendered from the files in the repository. */
export function renderDocs(root = ROOT) {
  const read = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'))
  let manifest
  try {
    manifest = read('oclif.manifest.json')
  } catch {
    throw new Error('oclif.manifest.json is missing: run `npm run build` first (it generates the manifest from src/commands)')
  }
  return [
    {path: 'docs/jobs-yml.md', text: jobsReference(read('schemas/jobs.schema.json'))},
    {path: 'docs/cli.md', text: cliReference(manifest)},
    {path: 'docs/architecture.md', text: withDiagram(readFileSync(join(root, 'docs/architecture.md'), 'utf8'), architectureDiagram(folderGraph(sourceImports(root))))},
  ]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const {path, text} of renderDocs()) {
    let current = ''
    try {
      current = readFileSync(join(ROOT, path), 'utf8')
    } catch {
      // A missing page is stale.
    }
    if (current === text) continue
    if (check) {
      stale++
      console.error(`${path} is stale: run \`npm run docs\``)
    } else {
      writeFileSync(join(ROOT, path), text)
      console.log(`wrote ${path}`)
    }
  }
  process.exitCode = stale > 0 ? 1 : 0
}

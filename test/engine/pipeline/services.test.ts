import {describe, expect, test} from 'vitest'

import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import type {PipelineDefaults} from '../../../src/engine/pipeline/types.js'
import {lines, rejection} from '../../helpers/pipeline-text.js'

const defaults: PipelineDefaults = {timeoutMs: 30 * 60_000, cleanup: 'always_remove', resources: {pids: 200}}
const parse = (text: string) => parsePipeline(text, 'jobs.yml', '/project/jobs.yml', defaults)

const problems = (text: string): string[] => rejection(() => parse(text))

describe('services in jobs.yml', () => {
  test('a service of the job and one of the top level, merged by name, with defaults filled', () => {
    const pipeline = parse(
      lines(
        'version: 1',
        'image: busybox:1.36',
        'services:',
        '  cache: redis:7',
        '  db: {image: "postgres:15"}',
        'jobs:',
        '  test:',
        '    services:',
        '      db:',
        '        image: postgres:16',
        '        env: {POSTGRES_PASSWORD: pw, PORT: 5432}',
        '        secrets: [DB_TOKEN]',
        '        command: [postgres, -c, fsync=off]',
        '        aliases: [database, pg.local]',
        '        ready: {command: pg_isready, timeout: 1m, interval: 250ms}',
        '        resources: {memory: 256m}',
        '    steps: [make test]',
        '  group:',
        '    needs: [test]',
      ),
    )
    const job = pipeline.jobs.get('test')!
    expect(Object.keys(job.services).sort()).toEqual(['cache', 'db'])
    expect(job.services.cache).toEqual({
      name: 'cache',
      image: 'redis:7',
      env: {},
      secrets: [],
      aliases: [],
      ready: {kind: 'default'},
      readyTimeoutMs: 30_000,
      readyIntervalMs: 1_000,
      resources: {pids: 200},
    })
    expect(job.services.db).toEqual({
      name: 'db',
      image: 'postgres:16',
      env: {POSTGRES_PASSWORD: 'pw', PORT: '5432'},
      secrets: ['DB_TOKEN'],
      command: ['postgres', '-c', 'fsync=off'],
      aliases: ['database', 'pg.local'],
      ready: {kind: 'command', command: 'pg_isready'},
      readyTimeoutMs: 60_000,
      readyIntervalMs: 250,
      resources: {pids: 200, memoryBytes: 256 * 1024 ** 2},
    })
    // A group job starts no container: no services either.
    expect(pipeline.jobs.get('group')!.services).toEqual({})
  })

  test('a tcp readiness check', () => {
    const job = parse(lines('version: 1', 'image: busybox:1.36', 'jobs:', '  a:', '    services: {db: {image: "postgres:16", ready: {tcp: 5432}}}', '    steps: [x]')).jobs.get('a')!
    expect(job.services.db!.ready).toEqual({kind: 'tcp', port: 5432})
  })

  test('host names taken twice, reserved ones, network none and two readiness checks, each at its position', () => {
    expect(
      problems(
        lines(
          'version: 1',
          'image: busybox:1.36',
          'jobs:',
          '  test:',
          '    network: none',
          '    services:',
          '      db: {image: "postgres:16", aliases: [cache, database, database]}',
          '      cache: {image: "redis:7", ready: {command: "redis-cli ping", tcp: 6379}}',
          '      localhost: busybox:1.36',
          '      test: busybox:1.36',
          '    steps: [x]',
        ),
      ),
    ).toEqual([
      'jobs.yml:5:14 jobs.test.network: a job with services needs a network: "network: none" would cut it off from its services "db", "cache", "localhost" and "test"',
      'jobs.yml:7:61 jobs.test.services.db.aliases[2]: alias "database" of service "db" is already service "db"; each host name on a job\'s network must be unique',
      'jobs.yml:8:7 jobs.test.services.cache: service name "cache" is already service "db"; each host name on a job\'s network must be unique',
      'jobs.yml:8:33 jobs.test.services.cache.ready: give one readiness check: "command" or "tcp", not both',
      'jobs.yml:9:7 jobs.test.services.localhost: service name "localhost" is reserved: the job reaches its own container as localhost',
      'jobs.yml:10:7 jobs.test.services.test: service name "test" is already the job\'s own host name; each host name on a job\'s network must be unique',
    ])
  })

  test('a top-level service that collides in one job names that job', () => {
    expect(problems(lines('version: 1', 'image: busybox:1.36', 'services:', '  db: postgres:16', 'jobs:', '  db:', '    steps: [x]', '  other:', '    steps: [y]'))).toEqual([
      'jobs.yml:4:3 services.db: service name "db" is already the job\'s own host name in job "db"; each host name on a job\'s network must be unique',
    ])
  })

  test('schema errors: a bad service name, image, alias, port and an unknown key', () => {
    expect(
      problems(
        lines(
          'version: 1',
          'image: busybox:1.36',
          'jobs:',
          '  a:',
          '    services:',
          '      My_DB: postgres',
          '      db: {image: "Postgres:16", aliases: ["-x"], ready: {tcp: 70000}, port: 1}',
          '    steps: [x]',
        ),
      ),
    ).toEqual([
      'jobs.yml:6:7 jobs.a.services.My_DB: expected a service name of lowercase letters, digits and "-" (a DNS label: at most 63, not starting or ending with "-"), got "My_DB"',
      'jobs.yml:7:19 jobs.a.services.db.image: invalid image reference "Postgres:16": it has uppercase letters in its repository path (only a registry host may have them); expected e.g. "node:20", "ghcr.io/org/tool:1.2" or "busybox@sha256:<64 hex digits>"',
      'jobs.yml:7:44 jobs.a.services.db.aliases[0]: expected a host name: DNS labels of lowercase letters, digits and "-" joined by ".", got "-x"',
      'jobs.yml:7:64 jobs.a.services.db.ready.tcp: must be <= 65535, got 70000',
      'jobs.yml:7:72 jobs.a.services.db.port: unknown key "port"; allowed: image, env, secrets, command, entrypoint, aliases, ready, resources',
    ])
  })

  test('a service given as a bare image is checked by the reference grammar; a list is not a service', () => {
    expect(problems(lines('version: 1', 'image: busybox:1.36', 'services:', '  db: "postgres:16 "', '  cache: [redis]', 'jobs:', '  a: {steps: [x]}'))).toEqual([
      'jobs.yml:4:7 services.db: invalid image reference "postgres:16 ": it contains a space; expected e.g. "node:20", "ghcr.io/org/tool:1.2" or "busybox@sha256:<64 hex digits>"',
      'jobs.yml:5:10 services.cache: expected a string or a mapping, got a list',
    ])
  })
})

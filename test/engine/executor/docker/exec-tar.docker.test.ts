import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, rm, symlink, writeFile, chmod} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import Docker from 'dockerode'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BlobStore} from '../../../../src/engine/artifacts/blobs.js'
import type {ArtifactEntry} from '../../../../src/engine/artifacts/manifest.js'
import {collectArtifacts} from '../../../../src/engine/executor/docker/artifacts.js'
import {KEPT_CAPABILITIES} from '../../../../src/engine/executor/docker/container-spec.js'
import {ExecTar} from '../../../../src/engine/executor/docker/exec-tar.js'
import {copyIntoWorkdir, type WorkspaceContent} from '../../../../src/engine/executor/docker/workspace-copy.js'
import type {JobWarning} from '../../../../src/engine/executor/types.js'

// The exec of the container's tar must give what the engine's archive calls give, byte for byte
// (docs/performance.md, "Transfers through tar in the container").
const IMAGE = 'orca-test/busybox:latest'
const LABEL = `orca-test.exec-tar=${process.pid}-${randomBytes(3).toString('hex')}`
const docker = new Docker()
let dir: string
let imageId: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'orca-exec-tar-'))
  imageId = (await docker.getImage(IMAGE).inspect()).Id
})
afterAll(async () => {
  // Only the containers this file made: they carry its own label.
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], {encoding: 'utf8'}).split('\n').filter(Boolean)
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', '-v', ...ids])
  await rm(dir, {recursive: true, force: true})
})

/** A running container hardened as jobs' containers are (no capabilities beyond the kept ones, no new privileges). */
async function container(env: string[] = []): Promise<Docker.Container> {
  const [key, value] = LABEL.split('=') as [string, string]
  const made = await docker.createContainer({
    Image: IMAGE,
    Cmd: ['/bin/sleep', '600'],
    Env: env,
    Labels: {[key]: value},
    HostConfig: {NetworkMode: 'none', CapDrop: ['ALL'], CapAdd: KEPT_CAPABILITIES, SecurityOpt: ['no-new-privileges']},
  })
  await made.start()
  return made
}

function sh(target: Docker.Container, script: string): string {
  return execFileSync('docker', ['exec', '-u', '0', target.id, '/bin/sh', '-c', script], {encoding: 'utf8'})
}

/** Every path under `folder` with its type, mode, owner, size, link target and content digest. */
function listing(target: Docker.Container, folder: string): string {
  return sh(
    target,
    // -exec, not a read loop: a name with a newline stays one name (its two lines sort alike in both listings).
    `cd ${folder} 2>/dev/null || exit 0
     { find . -exec stat -c '%n|%F|%a|%u|%g|%s' {} +
       find . -type f -exec md5sum {} +
       find . -type l -exec sh -c 'for f; do printf "%s -> %s\\n" "$f" "$(readlink "$f")"; done' sh {} +; } | sort`,
  )
}

/** What a collection recorded: the entries, the warnings, and what destDir holds. */
async function collect(from: Docker.Container, globs: string[], tar: ExecTar | undefined): Promise<{entries: ArtifactEntry[]; warnings: JobWarning[]; files: string}> {
  const where = await mkdtemp(path.join(dir, 'collect-'))
  const blobs = new BlobStore(path.join(where, 'blobs'), path.join(where, 'tmp'))
  const warnings: JobWarning[] = []
  const destDir = path.join(where, 'dest')
  const entries = await collectArtifacts(from, '/workspace', globs, destDir, {maxBytes: 1024 ** 3, maxEntries: 10_000}, {blobs, rename: (p) => p.replaceAll('s3cr3t', '***'), onWarning: (w) => warnings.push(w)}, tar)
  const files = execFileSync('sh', ['-c', `cd "${destDir}" 2>/dev/null && find . | sort | while IFS= read -r f; do printf '%s ' "$f"; stat -c '%F %a %s' "$f"; done || true`], {encoding: 'utf8'})
  return {entries, warnings, files}
}

const TREE = `
  mkdir -p /workspace/dist/sub/deeper /workspace/dist/empty /workspace/other /workspace/-dash
  cd /workspace
  printf 'one' > dist/a.txt
  printf '#!/bin/sh\\necho hi\\n' > dist/run.sh && chmod 755 dist/run.sh
  printf 'private' > dist/locked && chmod 000 dist/locked
  printf 'setuid' > dist/setuid && chmod 4755 dist/setuid
  printf 'spaces' > 'dist/with space.txt'
  printf 'newline' > "dist/new
line.txt"
  printf 'masked' > dist/s3cr3t.txt
  head -c 300000 /dev/urandom > dist/sub/deeper/big.bin
  ln dist/a.txt dist/hard.txt
  ln -s a.txt dist/link-inside
  ln -s ../../etc/passwd dist/link-escaping
  ln -s /workspace/dist/a.txt dist/link-absolute-inside
  ln -s /etc/hostname dist/link-absolute-outside
  ln -s sub dist/link-to-dir
  printf 'x' > other/o.txt
  printf 'd' > -dash/d.txt
  printf 'top' > top.txt
  chown -R 1234:5678 dist/sub
`

describe('collecting through the container tar', () => {
  it('records the same artifacts as the archive calls: files, modes, links inside and escaping, hard links, odd names, masked names', async () => {
    const target = await container()
    sh(target, TREE)
    const tar = new ExecTar(docker)
    expect(await tar.usableIn(target, imageId)).toBe(true)
    for (const globs of [['dist/**'], ['**'], ['dist/*.txt', 'other/o.txt', '-dash/**', 'missing/**'], ['top.txt', 'nothing-here.txt']]) {
      const viaArchive = await collect(target, globs, undefined)
      const viaTar = await collect(target, globs, tar)
      expect(viaTar.entries, globs.join(' ')).toEqual(viaArchive.entries)
      expect(viaTar.warnings).toEqual(viaArchive.warnings)
      expect(viaTar.files).toEqual(viaArchive.files)
    }
    const all = await collect(target, ['dist/**'], tar)
    const names = all.entries.map((e) => e.path)
    // The tree's features really were in it (a comparison of two empty results proves nothing).
    expect(names).toEqual(expect.arrayContaining(['dist/with space.txt', 'dist/***.txt', 'dist/hard.txt', 'dist/link-inside', 'dist/locked', 'dist/sub/deeper/big.bin']))
    expect(all.entries.find((e) => e.path === 'dist/link-absolute-inside')).toEqual({path: 'dist/link-absolute-inside', type: 'symlink', target: 'a.txt'})
    expect(all.entries.find((e) => e.path === 'dist/setuid')).toMatchObject({mode: 0o755})
    expect(all.warnings.map((w) => w.path)).toEqual(expect.arrayContaining(['dist/link-escaping', 'dist/link-absolute-outside']))
  })

  it('caps what it reads as the archive calls do', async () => {
    const target = await container()
    sh(target, 'mkdir -p /workspace/out && head -c 5000 /dev/zero > /workspace/out/f')
    const tar = new ExecTar(docker)
    const where = await mkdtemp(path.join(dir, 'cap-'))
    const blobs = new BlobStore(path.join(where, 'blobs'), path.join(where, 'tmp'))
    const destDir = path.join(where, 'dest')
    const limits = {maxBytes: 4000, maxEntries: 100}
    await expect(collectArtifacts(target, '/workspace', ['out/**'], destDir, limits, {blobs}, tar)).rejects.toThrow('archive is larger than 4000 bytes')
    await expect(collectArtifacts(target, '/workspace', ['out/**'], destDir, limits, {blobs})).rejects.toThrow('archive is larger than 4000 bytes')
  })

  it('is not used where the image has no usable tar, and a tar that cannot run fails the collection', async () => {
    // busybox's sh runs its own tar whatever the files say: a PATH leading nowhere stands for an image without sh and tar.
    const target = await container(['PATH=/nowhere'])
    const tar = new ExecTar(docker)
    expect(await tar.usableIn(target, 'sha256:no-tar')).toBe(false)
    // Probed once per image: the answer is remembered, whatever another container of it holds.
    expect(await tar.usableIn(await container(), 'sha256:no-tar')).toBe(false)
    expect(await tar.usableIn(await container(), imageId)).toBe(true)
    const where = await mkdtemp(path.join(dir, 'fail-'))
    const blobs = new BlobStore(path.join(where, 'blobs'), path.join(where, 'tmp'))
    sh(target, 'mkdir -p /workspace/out && echo x > /workspace/out/f')
    await expect(collectArtifacts(target, '/workspace', ['out/**'], path.join(where, 'dest'), {maxBytes: 1e6, maxEntries: 10}, {blobs}, tar)).rejects.toThrow(/tar in the container could not read \/workspace\/out \(exit code 12[67]\)/)
    expect(existsSync(path.join(where, 'dest'))).toBe(false)
  })
})

describe('copying into a container through its tar', () => {
  it('leaves the same workdir as putArchive: project files, artifacts, modes, links, outputs file', async () => {
    const project = await mkdtemp(path.join(dir, 'project-'))
    await mkdir(path.join(project, 'src/nested'), {recursive: true})
    await writeFile(path.join(project, 'src/main.c'), 'int main() {}')
    await writeFile(path.join(project, 'src/nested/tool.sh'), '#!/bin/sh\n')
    await chmod(path.join(project, 'src/nested/tool.sh'), 0o750)
    await writeFile(path.join(project, 'name with\nnewline'), 'n')
    await symlink('main.c', path.join(project, 'src/link'))
    const store = path.join(dir, 'in-blobs')
    const blobs = new BlobStore(path.join(store, 'blobs'), path.join(store, 'tmp'))
    const one = blobs.putBytes(Buffer.from('artifact one'), false)
    const two = blobs.putBytes(Buffer.from('#!/bin/sh\necho two\n'), true)
    const artifacts: ArtifactEntry[] = [
      {path: 'build/one.txt', type: 'file', mode: 0o644, size: one.size, sha256: one.sha256},
      {path: 'build/bin/two', type: 'file', mode: 0o755, size: two.size, sha256: two.sha256},
      {path: 'build/latest', type: 'symlink', target: 'one.txt'},
    ]
    const content = (owner: WorkspaceContent['owner']): WorkspaceContent => ({
      job: {workdir: '/workspace', volumes: {cache: '/cache/deps'}},
      projectDir: project,
      files: ['name with\nnewline', 'src/link', 'src/main.c', 'src/nested/tool.sh'],
      artifacts: [artifacts],
      blobs,
      outputFile: '/orca/outputs/out',
      owner,
    })
    const never = new Promise<never>(() => undefined)
    // Root jobs' only: busybox tar leaves the links it makes to root (no lchown), where putArchive gives them the owner too.
    const [viaArchive, viaTar] = [await container(), await container()]
    const tar = new ExecTar(docker)
    expect(await tar.usableIn(viaTar, imageId)).toBe(true)
    await copyIntoWorkdir(viaArchive, content(undefined), never)
    await copyIntoWorkdir(viaTar, content(undefined), never, tar)
    for (const folder of ['/workspace', '/orca']) expect(listing(viaTar, folder), folder).toEqual(listing(viaArchive, folder))
    const workspace = listing(viaTar, '/workspace')
    // The copy really happened.
    expect(workspace).toContain('./build/bin/two|regular file|755|0|0|19')
    // (sorted by line: the name's second line sorts apart from its first)
    expect(workspace).toContain('newline|regular file|644|0|0|1')
    expect(workspace).toContain('./name with\n')
    expect(workspace).toContain('./src/link -> main.c')
    expect(listing(viaTar, '/orca')).toContain('./outputs/out|regular empty file|644|0|0|0')
  })

  it('fails the copy when tar in the container fails, naming the cause', async () => {
    const target = await container()
    const tar = new ExecTar(docker)
    expect(await tar.usableIn(target, imageId)).toBe(true)
    // No folder can be made in /proc: tar cannot write the outputs file there.
    const content: WorkspaceContent = {job: {workdir: '/proc/orca-workdir', volumes: {}}, projectDir: dir, files: [], artifacts: [], outputFile: '/proc/orca-workdir/out', owner: undefined}
    await expect(copyIntoWorkdir(target, content, new Promise<never>(() => undefined), tar)).rejects.toThrow(/tar in the container could not write the inputs \(exit code 1\)/)
  })
})

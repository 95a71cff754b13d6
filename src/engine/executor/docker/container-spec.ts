import {randomBytes} from 'node:crypto'
import * as os from 'node:os'
import type Docker from 'dockerode'
import {processStartTime} from '../../process-identity.js'
import {OrcaError} from '../../errors.js'
import {DEFAULT_SHELL, shellInvocation} from '../../pipeline/shell.js'
import type {Job, Resources} from '../../pipeline/types.js'
import type {ProjectIdentity} from '../../project-identity.js'
import {shellCommand} from '../shell.js'
import type {ResourceScope} from '../types.js'

export const LABEL = {
  managed: 'orca.managed',
  run: 'orca.run',
  job: 'orca.job',
  host: 'orca.host',
  pid: 'orca.pid',
  pidStart: 'orca.pid-start',
  policy: 'orca.policy',
  volume: 'orca.volume',
  kept: 'orca.kept',
  /** On a kept container with `keep_for`: when it may be removed (ISO time). */
  keepUntil: 'orca.keep-until',
  project: 'orca.project',
  projectDir: 'orca.project-dir',
  /** On an image orca built from a project: the build it came from (`build:<context>…`). */
  build: 'orca.build',
  /** On a service's container: the service's name (its job is `orca.job`). */
  service: 'orca.service',
  /** On a sandbox's container (`orca serve`): the sandbox's id. Its expiry is `orca.keep-until`, as for kept containers. */
  sandbox: 'orca.sandbox',
} as const

/** Repository of the images that hold kept containers' filesystems (see DockerExecutor.keep). */
export const KEPT_REPOSITORY = 'orca-kept'

export const DEFAULT_PIDS_LIMIT = 1024

/**
 * The only capabilities a job's root keeps (every other one is dropped, whatever the engine's defaults):
 * what builds and package managers use to own files, drop to another user and stop their own processes.
 * Gone compared with Docker's defaults: NET_RAW, MKNOD, SYS_CHROOT, AUDIT_WRITE, SETFCAP, SETPCAP.
 */
export const KEPT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'NET_BIND_SERVICE']

/** The only networks jobs.yml can ask for: never the host's, never another container's. */
const NETWORKS: ReadonlySet<string> = new Set(['bridge', 'none'])

/** The keep-alive shell's first line on both streams when steps can write to the container's output. */
export const OUTPUT_READY = '[orca:output-ready]'

/** The handshake's stdout line ends with this from a main process that takes steps on its stdin (attached-steps.ts). */
export const TAKES_ORDERS = ' orders'

/** The main process's SIGTERM trap: TERM to every process, exit once they are gone. */
export const STOP_TRAP = 'kill -TERM -1 2>/dev/null; while kill -0 -1 2>/dev/null; do sleep 0.1 2>/dev/null || sleep 1; done; exit 0'

// PID 1 (docker-init) forwards SIGTERM to this shell, which passes it on to every step process and
// exits once they are gone, so steps get a graceful stop; orca sends SIGKILL after the grace period.
// Its first line tells orca whether steps can write to the container's output (see stepCommand).
export const KEEP_ALIVE_SCRIPT =
  `trap '${STOP_TRAP}' TERM; ` +
  `{ echo '${OUTPUT_READY}' >/proc/1/fd/2 && echo '${OUTPUT_READY}' >/proc/1/fd/1; } 2>/dev/null || echo '[orca:output-exec]'; ` +
  'while :; do sleep 3600 & wait $!; done'

// The step's shell writes to the container's own output (PID 1's stdout, stderr joined to it so one
// pipe keeps the order it wrote in, as joinStderrToStdout does for an exec), so processes it leaves
// in the background hold that rather than the exec's; the marker after it ends its output.
const STEP_SCRIPT = 'sh -e -c "$2" >/proc/1/fd/1 2>&1; s=$?; echo "$1" >/proc/1/fd/1; echo "$1" >/proc/1/fd/2; exit $s'

/**
 * The command of a step: `sh -e -c RUN` (so a multi-line step stops at its first failing command), or
 * its `shell:` (see shellInvocation).
 * With a marker its output goes to the container's output, followed by the marker (ContainerOutput
 * reads it); without one, to the exec's own streams.
 */
export function stepCommand(run: string, marker?: string, shell: string = DEFAULT_SHELL): string[] {
  if (shell === DEFAULT_SHELL) return marker === undefined ? shellCommand(run) : ['sh', '-c', STEP_SCRIPT, 'sh', marker, run]
  const invocation = shellInvocation(shell, run, `/tmp/orca-step-${randomBytes(6).toString('hex')}`)
  const file = invocation.kind === 'file' ? invocation.file : ''
  return ['sh', '-c', marker === undefined ? SHELL_SCRIPT : SHELL_STEP_SCRIPT, 'sh', marker ?? '', run, file, shell, ...invocation.argv]
}

// Another shell than sh: a template's step text is written to the file it names, then the program is
// looked up, so an image without it fails the step with a sentence rather than exec's "not found".
// $1 marker, $2 step text, $3 script file (or empty), $4 the shell as written, then the command line.
const SHELL_SCRIPT =
  'r=$2 f=$3 s=$4; shift 4; ' +
  '[ -z "$f" ] || { printf \'%s\\n\' "$r" >"$f" && chmod 700 "$f"; } || { echo "orca: cannot write the step to $f for its shell ($s)" >&2; exit 1; }; ' +
  'command -v "$1" >/dev/null 2>&1 || { echo "orca: this image has no $1 (the step\'s shell: $s); use an image that has it, or another shell" >&2; exit 127; }; ' +
  'exec "$@"'
// In a subshell, so that its exit still leaves the marker to be written.
const SHELL_STEP_SCRIPT = `m=$1; (${SHELL_SCRIPT}) >/proc/1/fd/1 2>&1; s=$?; echo "$m" >/proc/1/fd/1; echo "$m" >/proc/1/fd/2; exit $s`

/**
 * `orca-<run>-<job>`, reduced to the characters Docker accepts in a name; a retry's attempt N adds
 * `.try_N` (no job name holds a ".", no service name a "_": nothing else can take the name).
 */
export function containerName(runId: string, job: string, attempt = 1): string {
  return `orca-${runId}-${job}${attempt > 1 ? `.try_${attempt}` : ''}`.replace(/[^a-zA-Z0-9_.-]/g, '-')
}

/** Docker's name of the named volume `name` of a project's jobs.yml: each project has its own. */
export function volumeName(project: ProjectIdentity, name: string): string {
  return `orca-${project.id}-${name}`.replace(/[^a-zA-Z0-9_.-]/g, '-')
}

/** Labels on everything orca creates: orca made it, for this project (`orca clean` acts on one project by default). */
export function projectLabels(project: ProjectIdentity): Record<string, string> {
  return {[LABEL.managed]: 'true', [LABEL.project]: project.id, [LABEL.projectDir]: project.dir}
}

/** The label filter of a listing: orca's resources of one project, or of every project. */
export function scopeFilter(scope: ResourceScope): string[] {
  const managed = `${LABEL.managed}=true`
  return 'projectId' in scope ? [managed, `${LABEL.project}=${scope.projectId}`] : [managed]
}

/** Labels that identify a container's project and the orca process that owns it (for leak detection). */
export function ownerLabels(runId: string, job: string, project: ProjectIdentity): Record<string, string> {
  return {
    ...projectLabels(project),
    [LABEL.run]: runId,
    [LABEL.job]: job,
    [LABEL.host]: os.hostname(),
    [LABEL.pid]: String(process.pid),
    [LABEL.pidStart]: processStartTime(),
  }
}

// Moved to a neutral module: run locks compare the same value.
export {processStartTime}

/** Numeric `uid[:gid]` of a container user, for archive headers; undefined for names. */
export function numericUser(user: string | undefined): {uid: number; gid: number} | undefined {
  const match = user === undefined ? null : /^(\d+)(?::(\d+))?$/.exec(user)
  if (!match) return undefined
  const uid = Number(match[1])
  return {uid, gid: match[2] === undefined ? uid : Number(match[2])}
}

/** Where a `docker: true` job finds the host's engine, as Docker's own images expect it. */
export const ENGINE_SOCKET_IN_JOB = '/var/run/docker.sock'

/** The host's engine socket given to a `docker: true` job: its path, and the group that may use it. */
export interface EngineSocket {
  path: string
  gid?: number
}

/** The create options of a job's container. Job env is not set here: it goes to each exec, so
 * secret values never appear in `docker inspect` of the container. With `network`, the container joins
 * the job's own network (where its services are), reachable there by the job's name. */
export function containerSpec(
  runId: string,
  job: Job,
  policy: string,
  imageId: string,
  project: ProjectIdentity,
  network?: string,
  attempt = 1,
  engineSocket?: EngineSocket,
): Docker.ContainerCreateOptions {
  // The schema allows only these; a value from elsewhere (an API caller) must not reach the host's namespaces.
  if (!NETWORKS.has(job.network)) throw new OrcaError('config', `jobs.${job.name}.network: expected bridge or none, got "${job.network}"`)
  return {
    name: containerName(runId, job.name, attempt),
    Image: imageId,
    Entrypoint: ['sh'],
    Cmd: ['-c', KEEP_ALIVE_SCRIPT],
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    WorkingDir: job.workdir,
    User: job.user ?? '',
    ...(engineSocket ? {Env: [`DOCKER_HOST=unix://${ENGINE_SOCKET_IN_JOB}`]} : {}),
    Labels: {...ownerLabels(runId, job.name, project), [LABEL.policy]: policy},
    HostConfig: {
      ...hardenedHostConfig(job.resources, network ?? job.network),
      Mounts: [
        ...Object.entries(job.volumes).map(([name, target]) => ({
          Type: 'volume' as const,
          Source: volumeName(project, name),
          Target: target,
        })),
        // docker: true, the one way a host path enters a job: the engine's socket, said loudly.
        ...(engineSocket ? [{Type: 'bind' as const, Source: engineSocket.path, Target: ENGINE_SOCKET_IN_JOB}] : []),
      ],
      // A user other than root reaches the socket through its group, as on the host.
      ...(engineSocket?.gid !== undefined ? {GroupAdd: [String(engineSocket.gid)]} : {}),
    },
    ...(network === undefined ? {} : {NetworkingConfig: {EndpointsConfig: {[network]: {Aliases: [job.name]}}}}),
  }
}

/** What every container orca creates runs under (docs/reliability.md): a job's, and its services'. */
export function hardenedHostConfig(resources: Resources, networkMode: string): Docker.HostConfig {
  return {
    Init: true,
    Privileged: false,
    // Private namespaces, no devices, no host paths: a job reaches the host only through orca.
    NetworkMode: networkMode,
    IpcMode: 'private',
    PidMode: '',
    UTSMode: '',
    UsernsMode: '',
    Devices: [],
    Binds: [],
    NanoCpus: resources.cpus === undefined ? undefined : Math.round(resources.cpus * 1e9),
    Memory: resources.memoryBytes,
    PidsLimit: resources.pids ?? DEFAULT_PIDS_LIMIT,
    SecurityOpt: ['no-new-privileges'],
    CapDrop: ['ALL'],
    CapAdd: KEPT_CAPABILITIES,
    // Output passes through the container's own output (read by attach): no log driver keeps
    // a copy, so secret values never reach the engine's disk and no log file grows.
    LogConfig: {Type: 'none', Config: {}},
  }
}

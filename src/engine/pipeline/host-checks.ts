import type {NodePath} from './yaml-source.js'

type Report = (at: NodePath, message: string, on?: 'value' | 'key') => void

/**
 * Keys that describe a container, refused on a `runs-on: host` job rather than ignored: a user who
 * writes `image:` or `services:` there expects them to take effect, and on the host none can.
 */
const CONTAINER_KEYS: ReadonlyArray<[key: string, why: string]> = [
  ['image', 'a host job runs on this machine, in no image'],
  ['pull', 'a host job runs in no image, so none is pulled'],
  ['platform', "a host job runs on this machine's platform"],
  ['services', 'services are containers on a job network; a host job has neither (start what it needs in a step)'],
  ['volumes', 'named volumes are Docker volumes; a host job keeps nothing across runs but what the host keeps'],
  ['user', 'a host job runs as the user who runs orca'],
  ['network', 'a host job uses the host network; orca cannot cut it off'],
  ['resources', 'resources are container limits; orca does not limit a host job'],
  ['workdir', 'a host job runs in a throwaway folder orca makes for it'],
  ['docker', "a host job already runs on the machine; it is not given Docker's socket"],
]

/** The rules of `runs-on` and `host` the schema cannot express. */
export function hostDiagnostics(root: Record<string, unknown>, report: Report): void {
  const jobs = isRecord(root.jobs) ? root.jobs : {}
  for (const [name, job] of Object.entries(jobs)) {
    if (!isRecord(job)) continue
    if (job['runs-on'] !== 'host') {
      if (job.host !== undefined) report(['jobs', name, 'host'], 'host settings apply only to a job with "runs-on: host"', 'key')
      continue
    }
    for (const [key, why] of CONTAINER_KEYS) {
      if (job[key] !== undefined) report(['jobs', name, key], `"${key}" cannot be set on a runs-on: host job: ${why}`, 'key')
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

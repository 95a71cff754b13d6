/** The in-toto Statement (v1) and SLSA Provenance (v1) orca writes for a run (docs/provenance.md). */
import {nameTable} from '../name-table.js'

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1'
/** What the build definition's parameters mean: an orca run of a pipeline's targets. */
export const ORCA_BUILD_TYPE = 'https://orca.dev/provenance/run/v1'
export const ORCA_BUILDER_ID = 'https://orca.dev/builder/orca-cli'
/** The media type of a job's artifact manifest, the subject of the statement. */
export const ARTIFACT_MANIFEST_MEDIA_TYPE = 'application/vnd.orca.artifact-manifest+json'

/** An in-toto ResourceDescriptor (spec/v1/resource_descriptor.md), with the fields orca fills. */
export interface ResourceDescriptor {
  name?: string
  uri?: string
  digest?: Record<string, string>
  mediaType?: string
  annotations?: Record<string, unknown>
}

export interface Statement {
  _type: typeof STATEMENT_TYPE
  subject: ResourceDescriptor[]
  predicateType: typeof SLSA_PROVENANCE_V1
  predicate: {
    buildDefinition: {
      buildType: string
      externalParameters: {pipeline: string; targets: string[]}
      internalParameters: {jobs: Record<string, AttestedJobParameters>}
      resolvedDependencies: ResourceDescriptor[]
    }
    runDetails: {
      builder: {id: string; version: Record<string, string>}
      metadata: {invocationId: string; startedOn: string; finishedOn: string}
    }
  }
}

/** What the statement says of one job, besides its subject. */
export interface AttestedJobParameters {
  status: string
  key: string | null
  cache: string | null
  image: string | null
  imageId: string | null
}

/** One job of the run as the statement needs it. */
export interface AttestedJob extends AttestedJobParameters {
  name: string
  /** The run that built the artifacts: this run, or for a cache hit the run the entry came from. */
  builtBy: string
  /** The job's artifact manifest, relative to the run directory, and its SHA-256; null when it has none. */
  manifest: {path: string; sha256: string} | null
}

export interface StatementInput {
  runId: string
  orcaVersion: string
  /** The pipeline file relative to the project, `/`-separated, and its SHA-256. */
  pipeline: {path: string; sha256: string}
  /** Files `include:` brought in, relative to the project, with their SHA-256. */
  includes: Array<{path: string; sha256: string}>
  targets: string[]
  startedOn: string
  finishedOn: string
  jobs: AttestedJob[]
}

/**
 * The run's provenance: one subject per job artifact manifest (each manifest lists every file with its
 * digest, so a folder of 18,000 files is one subject and each file is still covered), the pipeline and
 * targets as the build definition with the jobs' keys and image IDs, orca's version and the run's times.
 */
export function buildStatement(input: StatementInput): Statement {
  const subject: ResourceDescriptor[] = []
  const jobs = nameTable<AttestedJobParameters>()
  const images = new Map<string, {imageId: string; jobs: string[]}>()
  for (const job of input.jobs) {
    jobs[job.name] = {status: job.status, key: job.key, cache: job.cache, image: job.image, imageId: job.imageId}
    if (job.image !== null && job.imageId !== null) {
      const seen = images.get(`${job.image}\0${job.imageId}`) ?? {imageId: job.imageId, jobs: []}
      seen.jobs.push(job.name)
      images.set(`${job.image}\0${job.imageId}`, seen)
    }
    if (job.manifest === null) continue
    subject.push({
      name: job.manifest.path,
      digest: {sha256: job.manifest.sha256},
      mediaType: ARTIFACT_MANIFEST_MEDIA_TYPE,
      annotations: {job: job.name, key: job.key, cache: job.cache, builtBy: job.builtBy},
    })
  }
  const resolvedDependencies: ResourceDescriptor[] = [
    {name: input.pipeline.path, digest: {sha256: input.pipeline.sha256}, annotations: {role: 'pipeline'}},
    ...input.includes.map((file) => ({name: file.path, digest: {sha256: file.sha256}, annotations: {role: 'include'}})),
    ...[...images].map(([id, image]) => ({
      name: id.split('\0')[0]!,
      digest: {sha256: image.imageId.replace(/^sha256:/, '')},
      annotations: {role: 'image', jobs: image.jobs},
    })),
  ]
  return {
    _type: STATEMENT_TYPE,
    subject,
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: ORCA_BUILD_TYPE,
        externalParameters: {pipeline: input.pipeline.path, targets: input.targets},
        internalParameters: {jobs},
        resolvedDependencies,
      },
      runDetails: {
        builder: {id: ORCA_BUILDER_ID, version: {orca: input.orcaVersion}},
        metadata: {invocationId: input.runId, startedOn: input.startedOn, finishedOn: input.finishedOn},
      },
    },
  }
}

import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {verifyFlags} from '../cli/flags/verify.js'

export default class Verify extends OrcaCommand {
  static override summary = "Check a run's signed provenance against its artifacts."

  static override description = `Every finished run writes provenance.intoto.jsonl in its directory: a DSSE envelope of an in-toto Statement with a SLSA Provenance v1 predicate, whose subjects are the jobs' artifact manifests (docs/provenance.md). This command checks the envelope's signature with the public key(s) given, that the statement is of this run, and that every subject's manifest and every file it lists match their digests: in the run directory, and in the cache entry a job came from (a cached job's artifacts are checked there).

Every check is printed; each one that does not hold says why.

RUN is a run id, a unique prefix of one, or "latest".

Exit codes: 0 every check holds, 1 one does not (a changed file, a wrong or missing signature), 2 unknown run, no attestation, or an unreadable key.`

  static override examples = [
    {description: 'The latest run, with the key the team publishes', command: '<%= config.bin %> <%= command.id %> latest --key keys/orca.pub'},
    {description: 'With the configured signing key', command: '<%= config.bin %> <%= command.id %> 20261129T1530'},
  ]

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"', required: true}),
  }

  static override flags = oclifFlags(verifyFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Verify)
    const [{projectConfig}, {resolveRunId}, {runDir}, keys, {verifyRun}] = await Promise.all([
      import('../cli/project.js'),
      import('../engine/records/run-id.js'),
      import('../engine/records/store.js'),
      import('../engine/keys/ed25519.js'),
      import('../engine/provenance/verify.js'),
    ])
    const config = await projectConfig()
    const id = await resolveRunId(config.runsDir, args.run)
    const given = (flags.key ?? []).map((file) => keys.readPublicKey(file, 'the public key'))
    const configured = given.length === 0 ? keys.signingKeyOf(config.provenance.signingKey)?.publicKey : undefined
    const checks = verifyRun({dir: runDir(config.runsDir, id), runId: id, keys: configured ? [configured] : given, cacheDir: config.cacheDir})
    const ok = checks.every((check) => check.ok)
    if (flags.json) process.stdout.write(`${JSON.stringify({run: id, ok, checks}, null, 2)}\n`)
    else {
      for (const check of checks) process.stdout.write(`${check.ok ? 'ok  ' : 'FAIL'} ${check.what}: ${check.message}\n`)
      process.stdout.write(ok ? `run ${id}: every check holds\n` : `run ${id}: ${checks.filter((c) => !c.ok).length} check(s) do not hold\n`)
    }
    if (!ok) this.exit(1)
  }
}

import {OrcaCommand} from '../../cli/base.js'
import {keysGenerateFlags} from '../../cli/flags/keys.js'
import {oclifFlags} from '../../cli/flags/oclif.js'

export default class KeysGenerate extends OrcaCommand {
  static override summary = 'Write a new Ed25519 key pair for signing attestations and cache entries.'

  static override description = `Writes NAME.key (the private key, PKCS#8 PEM, mode 0600) and NAME.pub (the public key, SPKI PEM) into DIR, and prints the public key's path and id. Never overwrites a key.

Point provenance.signingKey (or ORCA_SIGNING_KEY) at the private key to sign every run's attestation, and cache.signing.ed25519.privateKeyFile at it to sign cache entries; hand the .pub file to whoever verifies (orca verify --key, cache.signing.ed25519.publicKeyFiles). Keep the private key out of the repository.

Exit codes: 0 written, 2 a key file is already there.`

  static override examples = [
    {description: 'A pair in .orca/keys', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A CI key pair elsewhere', command: '<%= config.bin %> <%= command.id %> --out ~/.config/orca --name ci'},
  ]

  static override flags = oclifFlags(keysGenerateFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(KeysGenerate)
    const path = await import('node:path')
    const {generateKeyFiles} = await import('../../engine/keys/ed25519.js')
    const written = generateKeyFiles(path.resolve(flags.out), flags.name)
    process.stderr.write(`private key: ${written.privateFile} (keep it secret)\nkey id: ${written.keyId}\n`)
    process.stdout.write(`${written.publicFile}\n`)
  }
}

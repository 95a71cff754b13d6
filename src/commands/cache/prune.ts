import {OrcaCommand} from '../../cli/base.js'
import {oclifFlags} from '../../cli/flags/oclif.js'
import {cachePruneFlags} from '../../cli/flags/cache.js'
import {OrcaError} from '../../engine/errors.js'

export default class CachePrune extends OrcaCommand {
  static override summary = 'Remove least recently used cache entries until the cache fits its size bound.'

  static override description = `Removes the entries a run used longest ago until the cache is at most --max-size (default: cache.maxSize from the configuration). Damaged entries and temp folders left by a crashed orca are removed too. Runs do this themselves after storing something when cache.maxSize is set.`

  static override examples = [
    {description: 'Bound the cache to cache.maxSize', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Keep at most 500 MiB', command: '<%= config.bin %> <%= command.id %> --max-size 500m'},
  ]

  static override flags = oclifFlags(cachePruneFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(CachePrune)
    const [{projectConfig}, {CacheStore}, {pruneCache}, {parseSize, formatBytes}] = await Promise.all([
      import('../../cli/project.js'),
      import('../../engine/cache/store.js'),
      import('../../engine/cache/maintenance.js'),
      import('../../engine/bytes.js'),
    ])
    const config = await projectConfig()
    let maxBytes = config.cache.maxSizeBytes
    if (flags['max-size'] !== undefined) {
      maxBytes = parseSize(flags['max-size'])
      if (maxBytes === undefined) throw new OrcaError('usage', `--max-size expects a size like 500m or 2g, got "${flags['max-size']}"`)
    }
    if (maxBytes === undefined) {
      throw new OrcaError('usage', 'no size bound to prune to', {hint: 'pass --max-size 1g, or set cache.maxSize in orca.config.yml'})
    }
    const removed = pruneCache(new CacheStore(config.cacheDir), maxBytes)
    const freed = removed.reduce((n, e) => n + e.size, 0)
    process.stdout.write(`removed ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'} (${formatBytes(freed)}); bound ${formatBytes(maxBytes)}\n`)
  }
}

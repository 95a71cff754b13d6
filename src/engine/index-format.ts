/**
 * The format of every derived record orca keeps to speed up a run (the stat index, the walk's
 * listings, git's last listing, parsed jobs files; see cache/index-files.ts for where
 * they live). One number for all of them: a record of another format is ignored and written again,
 * so a change to any record's shape bumps it. Not the cache entries' format (CACHE_FORMAT): a new
 * record shape never costs a cache entry.
 */
export const INDEX_FORMAT = 6

/** The CIs whose log viewers orca writes for: GitHub Actions groups and annotations, GitLab CI sections. */
export type CiFlavour = 'github' | 'gitlab'

/** The CI whose log viewer orca is writing to, from the variables each CI sets. */
export function ciFlavour(env: NodeJS.ProcessEnv): CiFlavour | undefined {
  if (env.GITHUB_ACTIONS === 'true') return 'github'
  if (env.GITLAB_CI === 'true') return 'gitlab'
  return undefined
}

/**
 * Whether orca runs in CI, where nobody watches a live view or answers a prompt: GitHub Actions,
 * GitLab CI, or any CI that sets `CI` (to anything but empty, `0` or `false`).
 */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI
  return ciFlavour(env) !== undefined || (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false')
}

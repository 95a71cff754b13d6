/**
 * The command line of a step's script, for every executor: `sh -e -c RUN`, so a multi-line step stops
 * at its first failing command (as GitHub Actions and GitLab CI do).
 */
export function shellCommand(run: string): string[] {
  return ['sh', '-e', '-c', run]
}

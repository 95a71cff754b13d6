import {describe, expect, it} from 'vitest'

import {translateGitlabExpression} from '../../../src/engine/import/gitlab-expression.js'
import {translateGithubIf} from '../../../src/engine/import/github-expression.js'

describe("GitLab's rules: if: in orca's if language", () => {
  it.each([
    ['$CI_COMMIT_BRANCH == "main"', "env.CI_COMMIT_BRANCH == 'main'"],
    ["$A != 'x' && $B", "env.A != 'x' && env.B != ''"],
    ['($A == "1" || $B == "2") && $C == null', "(env.A == '1' || env.B == '2') && env.C == ''"],
    ['${CI_COMMIT_TAG}', "env.CI_COMMIT_TAG != ''"],
    ['$CI_COMMIT_BRANCH =~ /^main$/', "env.CI_COMMIT_BRANCH == 'main'"],
    ['$CI_COMMIT_BRANCH !~ /^release\\/1\\.0$/', "env.CI_COMMIT_BRANCH != 'release/1.0'"],
    ['$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', 'env.CI_COMMIT_BRANCH == env.CI_DEFAULT_BRANCH'],
    ["$T == \"it's\"", "env.T == 'it''s'"],
  ])('%s', (gitlab, orca) => {
    expect(translateGitlabExpression(gitlab)).toMatchObject({expression: orca, notes: []})
  })

  it('a regular expression orca cannot say is a constant, with a note saying so', () => {
    const translated = translateGitlabExpression('$CI_COMMIT_BRANCH =~ /^release-.*$/ && $A == "1"')
    expect(translated?.expression).toBe("false && env.A == '1'")
    expect(translated?.notes).toEqual(["=~ /^release-.*$/: orca's if has no regular expressions; taken as not matching (false)"])
    expect(translateGitlabExpression('$B !~ /x+/')?.expression).toBe('true')
  })

  it('what does not parse is undefined, never a guess', () => {
    for (const text of ['$A ==', '($A == "1"', '$A === "1"', '', 'A == "1"']) expect(translateGitlabExpression(text)).toBeUndefined()
  })
})

describe("GitHub's if: in orca's if language", () => {
  const map = (ref: string): string | undefined => (ref.startsWith('github.') ? `env.GITHUB_${ref.slice(7).toUpperCase()}` : ref.startsWith('needs.') || ref.startsWith('matrix.') ? ref : undefined)
  it.each([
    ["${{ github.ref == 'refs/heads/main' }}", "env.GITHUB_REF == 'refs/heads/main'"],
    ["needs.test.result == 'failure' && !cancelled()", "needs.test.result == 'failure' && !cancelled()"],
    ["matrix.node == 20 || (matrix.os != 'x')", "matrix.node == 20 || (matrix.os != 'x')"],
  ])('%s', (github, orca) => {
    expect(translateGithubIf(github, map).expression).toBe(orca)
  })

  it('says why when a function or a context has no equivalent', () => {
    expect(translateGithubIf("startsWith(github.ref, 'refs/tags/')", map).problem).toBe("startsWith() has no equivalent in orca's if")
    expect(translateGithubIf("secrets.TOKEN != ''", map).problem).toBe('secrets.TOKEN is not known outside GitHub Actions')
    expect(translateGithubIf('matrix.n >= 2', map).problem).toBe(">= has no equivalent in orca's if")
  })
})

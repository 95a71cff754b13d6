import {describe, expect, it} from 'vitest'

import {ciFlavour, isCi} from '../../../src/views/run/ci-environment.js'

describe('isCi', () => {
  it('is true under GitHub Actions and GitLab CI, and wherever CI is set to something other than empty, 0 or false', () => {
    expect(isCi({GITHUB_ACTIONS: 'true'})).toBe(true)
    expect(isCi({GITLAB_CI: 'true'})).toBe(true)
    for (const value of ['true', '1', 'yes', 'woodpecker']) expect(isCi({CI: value}), value).toBe(true)
    for (const value of ['', '0', 'false']) expect(isCi({CI: value}), JSON.stringify(value)).toBe(false)
    expect(isCi({})).toBe(false)
  })

  it('agrees with the flavour: every environment with a flavour is CI', () => {
    for (const env of [{GITHUB_ACTIONS: 'true', CI: 'false'}, {GITLAB_CI: 'true'}, {CI: 'true'}, {}]) {
      if (ciFlavour(env) !== undefined) expect(isCi(env)).toBe(true)
    }
  })
})

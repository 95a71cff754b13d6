import {describe, expect, it} from 'vitest'

import {renderTemplate} from '../../../src/engine/init/template.js'

describe('renderTemplate', () => {
  it('substitutes values and leaves GitHub expressions alone', () => {
    expect(renderTemplate('run: <% cmd %> ${{ github.sha }}', {cmd: 'orca run ci'})).toBe('run: orca run ci ${{ github.sha }}')
  })

  it('keeps or drops sections, without leaving blank lines behind', () => {
    const template = 'jobs:\n  <% if lint %>\n  lint: yes\n  <% end %>\n<% unless lint %>\n  none: yes\n<% end %>\n  ci: done\n'
    expect(renderTemplate(template, {lint: true})).toBe('jobs:\n  lint: yes\n  ci: done\n')
    expect(renderTemplate(template, {lint: false})).toBe('jobs:\n  none: yes\n  ci: done\n')
  })

  it('nests sections', () => {
    const template = '<% if a %>A<% if b %>B<% end %><% end %>.'
    expect(renderTemplate(template, {a: true, b: false})).toBe('A.')
    expect(renderTemplate(template, {a: false, b: true})).toBe('.')
  })

  it('throws on a missing value or an unbalanced section (a bug in a template, not a user mistake)', () => {
    expect(() => renderTemplate('<% nope %>', {}, 'x.yml')).toThrow('x.yml: no string value for <% nope %>')
    expect(() => renderTemplate('<% if a %>', {a: true})).toThrow('not closed')
    expect(() => renderTemplate('<% end %>', {})).toThrow('without a section')
  })
})

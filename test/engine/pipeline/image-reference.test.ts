import {describe, expect, test} from 'vitest'

import {OrcaError} from '../../../src/engine/errors.js'
import {assertImageReference, IMAGE_REFERENCE_PATTERN, imageReferenceProblem} from '../../../src/engine/pipeline/image-reference.js'
import {seededRandom} from '../../faults/support.js'

const HEX64 = 'a'.repeat(40) + '0123456789abcdef01234567'
const pattern = new RegExp(IMAGE_REFERENCE_PATTERN, 'u')

// References Docker accepts (distribution/reference), from plain names to registries with ports and digests.
const VALID = [
  'busybox',
  'busybox:1.36',
  'library/busybox:latest',
  'docker.io/library/busybox',
  'orca-test/node:20',
  'ghcr.io/org/tool@sha256:' + HEX64,
  'ghcr.io/org/tool:1.2@sha256:' + HEX64,
  'localhost:5000/foo',
  'localhost/foo:bar',
  '127.0.0.1:5000/x/y:z',
  '[::1]:5000/foo',
  '[2001:db8::1]/foo:1',
  'Registry.Example.com/foo',
  'a__b',
  'a--b',
  'a.b_c-d',
  'x:UPPER_case.tag-1',
  HEX64,
  `sha256:${HEX64}`,
  `${'a'.repeat(255)}`,
  `${'a'.repeat(200)}/${'b'.repeat(54)}:${'t'.repeat(128)}`,
]

// Typos and crafted names; each with the words its message must contain.
const INVALID: Array<[string, RegExp]> = [
  ['', /is empty/],
  ['foo//bar', /empty path component/],
  ['/foo', /empty path component/],
  ['foo/', /empty path component/],
  ['x/../..//127.0.0.1:39917/y', /empty path component|"\.\."/],
  ['../x', /"\.\." path component/],
  ['./x', /"\.\." path component/],
  ['Foo', /uppercase/],
  ['foo/Bar:1', /uppercase/],
  ['foo bar', /a space/],
  ['foo\0bar', /a NUL byte/],
  ['foo\nbar', /control character \(U\+000A\)/],
  ['nöde:20', /character "ö"/],
  ['foo:', /invalid tag ""/],
  ['foo:-bar', /invalid tag "-bar"/],
  [`foo:${'t'.repeat(129)}`, /invalid tag/],
  ['foo:bar:baz', /invalid tag "bar:baz"/],
  ['foo@sha256:abc', /malformed digest/],
  ['foo@', /malformed digest/],
  ['foo?x=1', /invalid path component "foo\?x=1"/],
  ['foo#x', /invalid path component/],
  ['foo%2fbar', /invalid path component/],
  ['http://x/y', /invalid tag|empty path component/],
  ['-foo', /invalid path component "-foo"/],
  ['foo-', /invalid path component "foo-"/],
  ['foo..bar', /invalid path component "foo\.\.bar"/],
  ['a___b', /invalid path component "a___b"/],
  ['a'.repeat(256), /name of 256 characters; at most 255/],
  [`${'a'.repeat(200)}/${'b'.repeat(55)}:1`, /name of 256 characters/],
  ['a'.repeat(600), /600 characters long; at most 512/],
]

describe('image references', () => {
  test.each(VALID)('accepts %s', (ref) => {
    expect(imageReferenceProblem(ref)).toBeUndefined()
    expect(pattern.test(ref)).toBe(true)
  })

  test.each(INVALID)('refuses %j and says why', (ref, why) => {
    const problem = imageReferenceProblem(ref)
    expect(problem).toMatch(why)
    expect(pattern.test(ref)).toBe(false)
  })

  test('the schema pattern and the code agree on random references', () => {
    const random = seededRandom(7)
    const tokens = ['a', 'b0', 'x', '.', '_', '__', '-', '/', '/', ':', '5000', 'A', '[::1]', ' ', 'localhost', 'v1.2']
    const counts = {valid: 0, invalid: 0}
    for (let i = 0; i < 20_000; i++) {
      let ref = ''
      for (let n = 1 + Math.floor(random() * 10); n > 0; n--) ref += tokens[Math.floor(random() * tokens.length)]
      if (random() < 0.2) ref += `@sha256:${HEX64}`
      const valid = imageReferenceProblem(ref) === undefined
      expect(pattern.test(ref), ref).toBe(valid)
      counts[valid ? 'valid' : 'invalid']++
    }
    // Both sides of the grammar are exercised, not only the easy refusals.
    expect(counts.valid).toBeGreaterThan(1_000)
    expect(counts.invalid).toBeGreaterThan(2_000)
  })

  // The bound is the test's timeout: a backtracking pattern takes minutes on these, not milliseconds.
  test('a hostile reference is judged in linear time, however long', {timeout: 10_000}, () => {
    for (const unit of ['a-', 'a.', 'a/', 'A-', 'a__', '1.', 'a.a-', '[:']) {
      const ref = `${unit.repeat(400_000 / unit.length)}!`
      expect(pattern.test(ref)).toBe(false)
      expect(imageReferenceProblem(ref)).toMatch(/characters long/)
    }
  })

  test('assertImageReference throws a config error (exit 2) that names where the reference came from', () => {
    expect(() => assertImageReference('busybox:1.36', 'x')).not.toThrow()
    const error = (() => {
      try {
        assertImageReference('foo//bar', 'ORCA_DEFAULT_IMAGE')
      } catch (caught) {
        return caught
      }
    })() as OrcaError
    expect(error).toBeInstanceOf(OrcaError)
    expect(error.exitCode).toBe(2)
    expect(error.message).toMatch(/^ORCA_DEFAULT_IMAGE: invalid image reference "foo\/\/bar": it has an empty path component/)
  })
})

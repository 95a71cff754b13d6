/** A parsed XML element: enough of XML 1.0 to check the reports orca writes, and strict about it. */
export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  text: string
}

const NAME = /^[A-Za-z_][\w.-]*/
const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"}

/** Parses a whole document; throws on anything not well-formed (unclosed tags, bare `&` or `<`, bad characters). */
export function parseXml(source: string): XmlElement {
  // eslint-disable-next-line no-control-regex
  const bad = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.exec(source)
  if (bad) throw new Error(`character U+${bad[0].codePointAt(0)!.toString(16)} is not allowed in XML 1.0`)
  let at = 0
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${at}: ${JSON.stringify(source.slice(at, at + 30))}`)
  }
  const skipSpace = (): void => {
    while (/\s/.test(source[at] ?? '')) at++
  }
  const decode = (raw: string): string => {
    if (raw.includes('<')) fail('bare < in text')
    return raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) fail('unterminated entity')
      if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16))
      if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10))
      return ENTITIES[ref] ?? fail(`unknown entity &${ref};`)
    })
  }
  const element = (): XmlElement => {
    if (source[at] !== '<') fail('expected <')
    at++
    const name = NAME.exec(source.slice(at))?.[0] ?? fail('expected a tag name')
    at += name.length
    const attrs: Record<string, string> = {}
    for (;;) {
      skipSpace()
      if (source.startsWith('/>', at)) {
        at += 2
        return {name, attrs, children: [], text: ''}
      }
      if (source[at] === '>') {
        at++
        break
      }
      const attr = NAME.exec(source.slice(at))?.[0] ?? fail('expected an attribute')
      at += attr.length
      if (source[at] !== '=' || source[at + 1] !== '"') fail('expected ="')
      const end = source.indexOf('"', at + 2)
      if (end < 0) fail('unterminated attribute')
      if (attr in attrs) fail(`duplicate attribute ${attr}`)
      attrs[attr] = decode(source.slice(at + 2, end))
      at = end + 1
    }
    const children: XmlElement[] = []
    let text = ''
    for (;;) {
      const next = source.indexOf('<', at)
      if (next < 0) fail(`unclosed <${name}>`)
      text += decode(source.slice(at, next))
      at = next
      if (source.startsWith(`</${name}>`, at)) {
        at += name.length + 3
        return {name, attrs, children, text}
      }
      if (source[at + 1] === '/') fail(`mismatched closing tag inside <${name}>`)
      children.push(element())
    }
  }
  if (source.startsWith('<?xml')) at = source.indexOf('?>') + 2
  skipSpace()
  const root = element()
  skipSpace()
  if (at !== source.length) fail('content after the root element')
  return root
}

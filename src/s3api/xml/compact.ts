/**
 * A stored bucket document as S3 answers it: S3 keeps what it parsed, not the client's
 * bytes, so a document read back has no layout white space between elements and its root
 * is in S3's namespace. Clients that read such answers with a SAX parser keep white space
 * after a value (fog read `<StorageClass>` of an indented lifecycle document as
 * `"GLACIER\n    "`), and namespace-aware readers look for S3's namespace.
 *
 * Comments and processing instructions go, as S3 keeps neither (they are no part of any
 * value: `<V> <!--c--> </V>` holds two spaces either way), and so does white space between
 * elements. The content of an element whose only content is white space
 * (`<Prefix> </Prefix>`), text beside CDATA, and every value stay exactly as stored. The
 * input is a document the server accepted (well-formed, no DTD).
 */
import { S3_XMLNS } from './build.js';

type Kind = 'start' | 'empty' | 'end' | 'declaration' | 'cdata' | 'text';

interface Token {
  kind: Kind;
  text: string;
}

/** The end of a start tag at `from` (its `>`), skipping quoted attribute values. */
function tagEnd(xml: string, from: number): number {
  let quote = '';
  for (let i = from; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return xml.length - 1;
}

/** Markup at `at`; null for a comment or a processing instruction, which are dropped. */
function markup(xml: string, at: number, first: boolean): { token: Token | null; end: number } {
  const until = (close: string): number => {
    const end = xml.indexOf(close, at);
    return end < 0 ? xml.length : end + close.length;
  };
  const of = (kind: Kind, end: number) => ({ token: { kind, text: xml.slice(at, end) }, end });
  if (xml.startsWith('<?', at)) {
    const end = until('?>');
    // The XML declaration, only ever first (the document was checked when stored).
    return first && /^<\?xml\s/.test(xml.slice(at, at + 6))
      ? of('declaration', end)
      : { token: null, end };
  }
  if (xml.startsWith('<!--', at)) return { token: null, end: until('-->') };
  if (xml.startsWith('<![CDATA[', at)) return of('cdata', until(']]>'));
  if (xml.startsWith('</', at)) return of('end', until('>'));
  const end = tagEnd(xml, at) + 1;
  return of(xml[end - 2] === '/' ? 'empty' : 'start', end);
}

/** The document's tokens; text on either side of a dropped comment is one text. */
function tokenize(xml: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < xml.length) {
    const lt = xml.indexOf('<', at);
    if (lt !== at) {
      const stop = lt < 0 ? xml.length : lt;
      const last = tokens[tokens.length - 1];
      if (last?.kind === 'text') last.text += xml.slice(at, stop);
      else tokens.push({ kind: 'text', text: xml.slice(at, stop) });
      at = stop;
      continue;
    }
    const { token, end } = markup(
      xml,
      at,
      tokens.every((t) => t.kind === 'text'),
    );
    if (token) tokens.push(token);
    at = end;
  }
  return tokens;
}

/** XML's white space (a no-break space is text). */
const WHITE = /^[ \t\r\n]*$/;

/** Layout: white space between tags (or around the root), not an element's only content. */
function isLayout(tokens: Token[], i: number): boolean {
  const token = tokens[i]!;
  if (token.kind !== 'text' || !WHITE.test(token.text)) return false;
  const before = tokens[i - 1]?.kind;
  const after = tokens[i + 1]?.kind;
  if (before === 'start' && after === 'end') return false;
  const edge = (k: Kind | undefined): boolean => k !== 'cdata' && k !== 'text';
  return edge(before) && edge(after);
}

/** Attributes of a start tag, each with its quoted value (quotes keep `>` and `=` apart). */
const ATTRIBUTE = /\s([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')/g;

/** The root start tag in S3's namespace, unless its name has a prefix (its own namespace). */
function inS3Namespace(tag: string): string {
  const name = /^<([^\s/>]+)/.exec(tag)?.[1] ?? '';
  if (name.includes(':')) return tag;
  for (const m of tag.matchAll(ATTRIBUTE)) {
    if (m[1] !== 'xmlns') continue;
    const valueAt = m.index + m[0].length - m[2]!.length;
    return `${tag.slice(0, valueAt)}"${S3_XMLNS}"${tag.slice(valueAt + m[2]!.length)}`;
  }
  const at = name.length + 1;
  return `${tag.slice(0, at)} xmlns="${S3_XMLNS}"${tag.slice(at)}`;
}

/**
 * The document without layout white space, its root in S3's namespace.
 *
 * @example
 * compactDocument('<Tagging>\n  <TagSet/>\n</Tagging>');
 * // '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet/></Tagging>'
 */
export function compactDocument(xml: string): string {
  const tokens = tokenize(xml);
  let rootSeen = false;
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (isLayout(tokens, i)) {
      // After the declaration, as S3 writes it.
      if (tokens[i - 1]?.kind === 'declaration' && !rootSeen) out += '\n';
      continue;
    }
    if (!rootSeen && (token.kind === 'start' || token.kind === 'empty')) {
      rootSeen = true;
      out += inS3Namespace(token.text);
      continue;
    }
    out += token.text;
  }
  return out;
}

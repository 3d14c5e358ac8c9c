/**
 * A stored bucket document as S3 answers it: S3 keeps what it parsed, not the client's
 * bytes, so a document read back has no layout white space between elements and its root
 * is in S3's namespace. Clients that read such answers with a SAX parser keep white space
 * after a value (fog read `<StorageClass>` of an indented lifecycle document as
 * `"GLACIER\n    "`), and namespace-aware readers look for S3's namespace.
 *
 * Only white space between markup is dropped: the content of an element whose only
 * content is white space (`<Prefix> </Prefix>`), text beside CDATA or a comment, and every
 * value, stay exactly as stored. The input is a document the server accepted (well-formed,
 * no DTD).
 */
import { S3_XMLNS } from './build.js';

type Kind = 'start' | 'empty' | 'end' | 'pi' | 'other' | 'text';

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

function markup(xml: string, at: number): Token {
  const until = (close: string, kind: Kind): Token => {
    const end = xml.indexOf(close, at);
    const stop = end < 0 ? xml.length : end + close.length;
    return { kind, text: xml.slice(at, stop) };
  };
  if (xml.startsWith('<?', at)) return until('?>', 'pi');
  if (xml.startsWith('<!--', at)) return until('-->', 'other');
  if (xml.startsWith('<![CDATA[', at)) return until(']]>', 'other');
  if (xml.startsWith('<!', at)) return until('>', 'other');
  if (xml.startsWith('</', at)) return until('>', 'end');
  const text = xml.slice(at, tagEnd(xml, at) + 1);
  return { kind: text.endsWith('/>') ? 'empty' : 'start', text };
}

function tokenize(xml: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < xml.length) {
    const lt = xml.indexOf('<', at);
    if (lt !== at) {
      const stop = lt < 0 ? xml.length : lt;
      tokens.push({ kind: 'text', text: xml.slice(at, stop) });
      at = stop;
      continue;
    }
    const token = markup(xml, at);
    tokens.push(token);
    at += token.text.length;
  }
  return tokens;
}

const TAGS: ReadonlySet<Kind> = new Set(['start', 'empty', 'end']);

/** Layout: white space between tags (or around the root), not an element's only content. */
function isLayout(tokens: Token[], i: number): boolean {
  const token = tokens[i]!;
  if (token.kind !== 'text' || token.text.trim() !== '') return false;
  const before = tokens[i - 1]?.kind;
  const after = tokens[i + 1]?.kind;
  if (before === 'start' && after === 'end') return false;
  const edge = (k: Kind | undefined): boolean => k === undefined || k === 'pi' || TAGS.has(k);
  return edge(before) && edge(after);
}

const DEFAULT_NS = /(\sxmlns\s*=\s*)("[^"]*"|'[^']*')/;

/** The root start tag in S3's namespace, unless its name has a prefix. */
function inS3Namespace(tag: string): string {
  const name = /^<([^\s/>]+)/.exec(tag)?.[1] ?? '';
  if (name.includes(':')) return tag;
  if (DEFAULT_NS.test(tag)) return tag.replace(DEFAULT_NS, `$1"${S3_XMLNS}"`);
  const close = tag.endsWith('/>') ? tag.length - 2 : tag.length - 1;
  return `${tag.slice(0, name.length + 1)} xmlns="${S3_XMLNS}"${tag.slice(name.length + 1, close)}${tag.slice(close)}`;
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
      if (tokens[i - 1]?.kind === 'pi' && !rootSeen) out += '\n';
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

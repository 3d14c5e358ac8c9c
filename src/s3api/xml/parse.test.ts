import { describe, expect, it } from 'vitest';
import { childText, children, parseXml } from './parse.js';

describe('parseXml', () => {
  it('refuses text after the root element and a second root, also after <Root/>', () => {
    // The validator let both through after an empty-element root; the documents were stored
    // as sent (notification, logging, public access block) and boto3 could not read them.
    for (const text of ['<A/>trailing', '<A></A>trailing', '<A/>\n<!-- c --> x']) {
      expect(() => parseXml(text, 'A'), text).toThrow(/text after the root element/);
    }
    expect(() => parseXml('<A/><A/>', 'A')).toThrow(/one root element; found 2 <A>/);
    expect(parseXml('<A/>\n<!-- a comment -->\n<?pi x?>\n', 'A')).toEqual({});
  });

  it('decodes entities and character references once, control characters included', () => {
    const doc = parseXml(
      '<Delete><Object><Key>ctl&#x1;x&#9;&amp;#65;&lt;&#34;&#x1F600;</Key></Object></Delete>',
      'Delete',
    );
    expect(childText(children(doc, 'Object')[0], 'Key')).toBe('ctl\u0001x\t&#65;<"\u{1F600}');
  });

  it('trims text by default, and keeps it exactly when asked', () => {
    const xml = '<Delete>\n  <Object><Key> lead </Key></Object>\n</Delete>';
    expect(childText(children(parseXml(xml, 'Delete'), 'Object')[0], 'Key')).toBe('lead');
    const exact = parseXml(xml, 'Delete', { exact: true });
    expect(childText(children(exact, 'Object')[0], 'Key')).toBe(' lead ');
  });

  it('refuses names that are not XML entities, as XML parsers do (S3: MalformedXML)', () => {
    expect(() => parseXml('<Tag><Key>a&nbsp;b</Key></Tag>', 'Tag')).toThrow(
      /"&nbsp;" in text is not a reference XML defines/,
    );
  });

  it('takes a byte order mark, a declaration, processing instructions and white space around the root, in both modes', () => {
    for (const xml of [
      '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Object><Key>k</Key></Object></Delete>\n',
      '<?xml version="1.0" encoding="UTF-8"?>\n\n<Delete><Object><Key>k</Key></Object></Delete>\n\n',
      '\ufeff<Delete><Object><Key>k</Key></Object></Delete>',
      '<!-- a comment -->\n<Delete><Object><Key>k</Key></Object></Delete>',
      // Processing instructions before, in and after the root (XML 1.0 allows all three).
      '<?xml version="1.0"?><?xml-stylesheet href="a"?><Delete><?p x?><Object><Key>k</Key></Object></Delete><?after?>\n',
    ]) {
      for (const exact of [false, true]) {
        const doc = parseXml(xml, 'Delete', { exact });
        expect(childText(children(doc, 'Object')[0], 'Key'), JSON.stringify(xml)).toBe('k');
      }
    }
  });
});

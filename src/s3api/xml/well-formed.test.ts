import { describe, expect, it } from 'vitest';
import { parseXml } from './parse.js';
import { checkWellFormed, decodeUtf8 } from './well-formed.js';

const lifecycle = (id: string, attrs = '') =>
  `<LifecycleConfiguration${attrs}><Rule><ID>${id}</ID><Status>Enabled</Status></Rule></LifecycleConfiguration>`;

describe('checkWellFormed', () => {
  it('refuses what XML 1.0 parsers (expat, and so boto3) refuse', () => {
    const refused: [string, RegExp][] = [
      [lifecycle('a&nbsp;b'), /"&nbsp;" in text is not a reference XML defines/],
      [lifecycle('a & b'), /"&" in text is not a reference/],
      [lifecycle('a&#0;b'), /"&#0;" in text refers to a character XML does not allow/],
      [lifecycle('a&#xD800;b'), /refers to a character XML does not allow/],
      [lifecycle('a&#x110000;b'), /is not a reference XML defines|refers to a character/],
      [lifecycle('a\x01b'), /character U\+0001 is not allowed/],
      [lifecycle('a\ufffeb'), /character U\+FFFE is not allowed/],
      [lifecycle('a]]>b'), /"]]>" is not allowed in text/],
      [
        '<LifecycleConfiguration><Rule a="<x"/></LifecycleConfiguration>',
        /"<" is not allowed in an attribute value/,
      ],
      ['<LifecycleConfiguration a="x&y"/>', /"&y" in an attribute of <LifecycleConfiguration>/],
      [
        '<LifecycleConfiguration><x:Rule/></LifecycleConfiguration>',
        /element <x:Rule> uses the namespace prefix "x", which no xmlns:x declares/,
      ],
      [
        '<LifecycleConfiguration y:a="1"/>',
        /attribute of <LifecycleConfiguration>: <y:a> uses the namespace prefix "y"/,
      ],
      // Namespaces in XML and XML 1.0 constraints expat enforces too.
      ['<a xmlns:p=""/>', /undeclares a prefix/],
      ['<a xmlns:p="urn:p"><b xmlns:p=""/></a>', /undeclares a prefix/],
      ['<a xmlns:xml="http://other"/>', /binds a reserved prefix/],
      ['<a xmlns:xmlns="urn:x"/>', /binds a reserved prefix/],
      ['<a xmlns:p="urn:u" xmlns:q="urn:u" p:x="1" q:x="2"/>', /has the attribute q:x twice/],
      ['<a><!-- a -- b --></a>', /"--" is not allowed in a comment/],
      [`${lifecycle('x')}<?xml version="1.0"?>`, /the XML declaration must come first/],
      [`<a><?xml version="1.0"?></a>`, /the XML declaration must come first/],
      [
        '<?xml version="1.0" standalone="maybe"?><a/>',
        /the XML declaration must come first and read/,
      ],
      ['<?xml encoding="UTF-8"?><a/>', /the XML declaration must come first and read/],
      [
        `<?xml version="1.0" encoding="ISO-8859-1"?>${lifecycle('café')}`,
        /declares encoding "ISO-8859-1"; send it as UTF-8/,
      ],
    ];
    for (const [xml, message] of refused) {
      expect(() => checkWellFormed(xml), xml).toThrow(message);
      expect(() => parseXml(xml, 'LifecycleConfiguration'), xml).toThrow(message);
    }
  });

  it('takes what is legal: references, declared prefixes, CDATA, comments, > in text and attributes', () => {
    const legal = [
      lifecycle('a&amp;b&lt;&gt;&quot;&apos;&#233;&#x1F600;'),
      // S3 writes control characters of keys as references; clients send them back.
      '<Delete><Object><Key>a&#x1;b&#9;</Key></Object></Delete>',
      lifecycle('x', ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'),
      '<s3:LifecycleConfiguration xmlns:s3="urn:s3"><s3:Rule s3:a="1"/></s3:LifecycleConfiguration>',
      '<a xmlns:p="urn:p"><p:b><p:c/></p:b></a>',
      '<a xml:lang="en"><b>x > y</b><c d="e>f"/></a>',
      '<a><![CDATA[ & < ]] > &nbsp; ]]><!-- & <b> --><?pi & ?></a>',
      `<?xml version="1.0" encoding="utf-8"?>\n${lifecycle('é')}`,
      lifecycle('\t\r\n€𝄞'),
      // ASCII is UTF-8, declared as such or as Latin-1; references may have leading zeros.
      `<?xml version="1.0" encoding="US-ASCII"?>${lifecycle('x')}`,
      `<?xml version="1.0" encoding="ISO-8859-1"?>${lifecycle('x')}`,
      lifecycle('&#x00000045;&#00065;'),
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a/>',
      '<?xml version=\'1.0\'?><a xmlns:xml="http://www.w3.org/XML/1998/namespace"/>',
      '<a xmlns:p="urn:p" xmlns:q="urn:q" p:x="1" q:x="2"><?xml-stylesheet href="x"?><!-- - --></a>',
    ];
    for (const xml of legal) expect(() => checkWellFormed(xml), xml).not.toThrow();
  });

  it('many namespace declarations cost each element only its own (a copied scope took 23 s)', () => {
    const n = 15_000;
    const root = Array.from({ length: n }, (_, i) => ` xmlns:p${i}="urn:x"`).join('');
    const kids = Array.from({ length: n }, (_, i) => `<p${i}:b xmlns:q${i}="urn:y"/>`).join('');
    expect(() => checkWellFormed(`<Tagging${root}>${kids}</Tagging>`)).not.toThrow();
    expect(() => checkWellFormed(`<Tagging${root}>${kids}<q1:c/></Tagging>`)).toThrow(
      /<q1:c> uses the namespace prefix "q1"/,
    );
    // A hang guard, not a benchmark: 70 ms here, 20 s with the copied scopes.
  }, 10_000);

  it('a prefix declared on an element is out of scope after it closes', () => {
    expect(() => checkWellFormed('<a><b xmlns:p="urn:p"><p:c/></b><p:d/></a>')).toThrow(
      /<p:d> uses the namespace prefix "p"/,
    );
  });
});

describe('decodeUtf8', () => {
  it('refuses bytes that are not UTF-8 instead of storing U+FFFD', () => {
    expect(() => decodeUtf8(Buffer.from([0x3c, 0x61, 0xe9, 0x3e]))).toThrow(
      /the body is not valid UTF-8/,
    );
    expect(decodeUtf8(Buffer.from('\ufeff<a>é</a>'))).toBe('\ufeff<a>é</a>');
  });
});

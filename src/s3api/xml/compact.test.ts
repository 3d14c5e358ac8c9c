import { describe, expect, it } from 'vitest';
import { S3_XMLNS } from './build.js';
import { compactDocument } from './compact.js';

const NS = `xmlns="${S3_XMLNS}"`;

describe('compactDocument', () => {
  it('drops layout white space and puts the root in S3 namespace', () => {
    const fog =
      '<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration>\n  <Rule>\n    <ID>archive</ID>\n' +
      '    <Status>Enabled</Status>\n    <Transition>\n      <Days>30</Days>\n' +
      '      <StorageClass>GLACIER</StorageClass>\n    </Transition>\n  </Rule>\n</LifecycleConfiguration>\n';
    expect(compactDocument(fog)).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration ${NS}><Rule><ID>archive</ID>` +
        '<Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass>' +
        '</Transition></Rule></LifecycleConfiguration>',
    );
  });

  it('keeps every value as stored: white-space content, text beside CDATA, a no-break space', () => {
    const doc =
      `<Tagging ${NS}> <TagSet>\u00a0<Tag><Key> a b </Key><Value> </Value></Tag>` +
      '<Tag><Key>x</Key><Value><![CDATA[v]]> </Value></Tag> </TagSet> </Tagging>';
    expect(compactDocument(doc)).toBe(
      `<Tagging ${NS}><TagSet>\u00a0<Tag><Key> a b </Key><Value> </Value></Tag>` +
        '<Tag><Key>x</Key><Value><![CDATA[v]]> </Value></Tag></TagSet></Tagging>',
    );
  });

  it('drops comments and processing instructions, which are no part of a value, as S3 does', () => {
    // A value keeps the text on both sides of one: here two spaces, and "a b".
    const doc =
      '<?xml version="1.0"?>\n<!-- made by hand -->\n<WebsiteConfiguration>\n  <!-- rules -->\n' +
      '  <RoutingRules><RoutingRule><Condition><KeyPrefixEquals> <?pi x?> </KeyPrefixEquals>' +
      '</Condition><Redirect><HostName>a<!-- c --> b</HostName></Redirect></RoutingRule>' +
      '</RoutingRules>\n</WebsiteConfiguration>\n<?after root?>\n';
    expect(compactDocument(doc)).toBe(
      `<?xml version="1.0"?>\n<WebsiteConfiguration ${NS}><RoutingRules><RoutingRule><Condition>` +
        '<KeyPrefixEquals>  </KeyPrefixEquals></Condition><Redirect><HostName>a b</HostName>' +
        '</Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>',
    );
  });

  it('replaces another default namespace, adds a missing one, leaves prefixed roots', () => {
    expect(
      compactDocument(
        '<Tagging xmlns="http://doc.s3.amazonaws.com/2006-03-01"><TagSet/></Tagging>',
      ),
    ).toBe(`<Tagging ${NS}><TagSet/></Tagging>`);
    expect(compactDocument("<CORSConfiguration a='>'><CORSRule/></CORSConfiguration>")).toBe(
      `<CORSConfiguration ${NS} a='>'><CORSRule/></CORSConfiguration>`,
    );
    expect(compactDocument('<Tagging/>')).toBe(`<Tagging ${NS}/>`);
    // Only the xmlns attribute itself: the same text in another attribute's value stays.
    expect(
      compactDocument(`<Tagging a=' xmlns="urn:x"' xmlns="urn:wrong"><TagSet/></Tagging>`),
    ).toBe(`<Tagging a=' xmlns="urn:x"' ${NS}><TagSet/></Tagging>`);
    expect(compactDocument(`<Tagging a=' xmlns="urn:x"'><TagSet/></Tagging>`)).toBe(
      `<Tagging ${NS} a=' xmlns="urn:x"'><TagSet/></Tagging>`,
    );
    const prefixed = '<s3:Tagging xmlns:s3="urn:x"><s3:TagSet/></s3:Tagging>';
    expect(compactDocument(prefixed)).toBe(prefixed);
    // xmlns:xsi is not the default namespace; the document's own stays as the one replaced.
    expect(compactDocument('<AccessControlPolicy xmlns:xsi="urn:xsi" xmlns="urn:other"/>')).toBe(
      `<AccessControlPolicy xmlns:xsi="urn:xsi" ${NS}/>`,
    );
  });

  it('is idempotent on compact documents', () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<WebsiteConfiguration ${NS}><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>`;
    expect(compactDocument(doc)).toBe(doc);
    expect(compactDocument(compactDocument(doc))).toBe(doc);
  });
});

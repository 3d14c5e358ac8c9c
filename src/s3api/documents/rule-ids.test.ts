import { describe, expect, it } from 'vitest';
import { withRuleIds } from './rule-ids.js';

const ROOT = 'LifecycleConfiguration';
const rule = (body: string, start = '<Rule>') =>
  `${start}${body}<Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule>`;
const doc = (...rules: string[]) => `<${ROOT}>${rules.join('')}</${ROOT}>`;
const ID = /<ID>[A-Za-z0-9+/]{48}<\/ID>/;

describe('withRuleIds', () => {
  it('leaves a document whose rules all have IDs byte for byte as sent', () => {
    const xml = `<?xml version="1.0"?>\n${doc(rule('<ID>a</ID>'), rule('<ID></ID>'))}`;
    expect(withRuleIds(xml, ROOT)).toBe(xml);
  });

  it('gives each rule without an ID its own, right after the start tag', () => {
    const xml = doc(rule(''), rule('<ID>keep</ID>'), rule('', '<Rule xmlns:x="y">'));
    const out = withRuleIds(xml, ROOT);
    const ids = [...out.matchAll(/<ID>([^<]*)<\/ID>/g)].map((m) => m[1]);
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe('keep');
    expect(ids[0]).not.toBe(ids[2]);
    expect(out.replace(new RegExp(ID, 'g'), '')).toBe(xml);
    expect(out.startsWith(`<${ROOT}><Rule><ID>`)).toBe(true);
    expect(out).toContain('<Rule xmlns:x="y"><ID>');
  });

  it('is not misled by <Rule> in comments or CDATA, or by > inside an attribute', () => {
    const xml = doc(
      `<!-- <Rule> -->${rule('', '<Rule note="a>b">')}`,
      rule('<Filter><Prefix><![CDATA[logs/<Rule>]]></Prefix></Filter>', "<Rule x='&lt;Rule>'>"),
    ).replace('<Status>Enabled</Status><Filter/><Filter>', '<Status>Enabled</Status><Filter>');
    const out = withRuleIds(xml, ROOT);
    expect(out).toMatch(/<Rule note="a>b"><ID>[A-Za-z0-9+/]{48}<\/ID>/);
    expect(out).toMatch(/<Rule x='&lt;Rule>'><ID>[A-Za-z0-9+/]{48}<\/ID>/);
    expect(out).toContain('<![CDATA[logs/<Rule>]]>');
    expect(out.replace(new RegExp(ID, 'g'), '')).toBe(xml);
  });

  it('gives a namespace-prefixed rule an ID with the same prefix', () => {
    const xml =
      '<s3:LifecycleConfiguration xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">' +
      '<s3:Rule><s3:Status>Enabled</s3:Status><s3:Filter/><s3:Expiration><s3:Days>1</s3:Days>' +
      '</s3:Expiration></s3:Rule></s3:LifecycleConfiguration>';
    expect(withRuleIds(xml, ROOT)).toMatch(/<s3:Rule><s3:ID>[A-Za-z0-9+/]{48}<\/s3:ID><s3:Status>/);
  });

  it('does not take <Rules> or <RuleX> for a rule', () => {
    const xml = `<ReplicationConfiguration><Role/>${rule('')}</ReplicationConfiguration>`;
    expect(withRuleIds(xml, 'ReplicationConfiguration')).toMatch(
      /^<ReplicationConfiguration><Role\/><Rule><ID>/,
    );
  });
});

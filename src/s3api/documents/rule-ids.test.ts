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

  it('keeps a document it cannot match rule for rule (a <Rule> in a comment) as sent', () => {
    const xml = doc(`<!-- <Rule> -->${rule('')}`);
    expect(withRuleIds(xml, ROOT)).toBe(xml);
  });

  it('does not take <Rules> or <RuleX> for a rule', () => {
    const xml = `<ReplicationConfiguration><Role/>${rule('')}</ReplicationConfiguration>`;
    expect(withRuleIds(xml, 'ReplicationConfiguration')).toMatch(
      /^<ReplicationConfiguration><Role\/><Rule><ID>/,
    );
  });
});

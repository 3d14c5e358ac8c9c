import { describe, expect, it } from 'vitest';
import { lifecycle } from './rules.js';

const rule = (Filter: object) => ({
  Rules: [{ ID: 'r', Status: 'Enabled' as const, Filter, Expiration: { Days: 7 } }],
});

describe('lifecycle.normalize', () => {
  it('reads conditions side by side (as Ceph RGW answers an And) as their And', () => {
    const tag = { Key: 'team', Value: 'games' };
    const and = lifecycle.normalize(rule({ And: { Prefix: 'tmp/', Tags: [tag] } }));
    expect(lifecycle.normalize(rule({ Prefix: 'tmp/', Tag: tag }))).toEqual(and);
    expect(
      lifecycle.normalize(rule({ Prefix: 'tmp/', ObjectSizeGreaterThan: 10 })).Rules[0]?.Filter,
    ).toEqual({ And: { Prefix: 'tmp/', ObjectSizeGreaterThan: 10 } });
    // One condition stays as it is; an empty prefix beside a tag is no condition.
    expect(lifecycle.normalize(rule({ Tag: tag })).Rules[0]?.Filter).toEqual({ Tag: tag });
    expect(lifecycle.normalize(rule({ Prefix: '', Tag: tag })).Rules[0]?.Filter).toEqual({
      Tag: tag,
    });
  });
});

/** One canonical S3 filter from the declaration's filter (see canonical.ts for the rules). */
import type { LifecycleRuleFilter, Tag } from './canonical.js';
import type { FilterDeclaration } from './schema-helpers.js';

/**
 * Folds a declared filter (and a `prefix:` shortcut) into S3's filter: `{}` for the whole
 * bucket, the single condition when there is one, an `And` when there are several.
 *
 * @example
 * canonicalFilter(undefined, 'logs/'); // { Prefix: 'logs/' }
 * canonicalFilter({ prefix: 'a/', objectSizeGreaterThan: 131072 }); // { And: { Prefix: 'a/', ObjectSizeGreaterThan: 131072 } }
 */
export function canonicalFilter(
  filter: FilterDeclaration | undefined,
  prefixShortcut?: string,
): LifecycleRuleFilter {
  const f = filter ?? {};
  const prefix = prefixShortcut || f.prefix || f.and?.prefix || undefined;
  const tags: Tag[] = [
    ...(f.tag ? [{ Key: f.tag.key, Value: f.tag.value }] : []),
    ...(f.tags ?? []),
    ...(f.and?.tags ?? []),
  ];
  const gt = f.objectSizeGreaterThan ?? f.and?.objectSizeGreaterThan;
  const lt = f.objectSizeLessThan ?? f.and?.objectSizeLessThan;
  const count =
    (prefix ? 1 : 0) + tags.length + (gt !== undefined ? 1 : 0) + (lt !== undefined ? 1 : 0);
  if (count === 0) return {};
  if (count === 1) {
    if (prefix) return { Prefix: prefix };
    if (tags[0]) return { Tag: tags[0] };
    return gt !== undefined ? { ObjectSizeGreaterThan: gt } : { ObjectSizeLessThan: lt! };
  }
  return {
    And: {
      ...(prefix ? { Prefix: prefix } : {}),
      ...(tags.length ? { Tags: tags } : {}),
      ...(gt !== undefined ? { ObjectSizeGreaterThan: gt } : {}),
      ...(lt !== undefined ? { ObjectSizeLessThan: lt } : {}),
    },
  };
}

/** The smallest object size a filter admits ("greater than" bytes), or 0. */
export function minObjectSize(filter: LifecycleRuleFilter): number {
  return filter.ObjectSizeGreaterThan ?? filter.And?.ObjectSizeGreaterThan ?? 0;
}

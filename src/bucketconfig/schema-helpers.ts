/**
 * Building blocks of the `buckets:` schema. Every declaration object accepts its keys in
 * camelCase (`allowedOrigins`) or in S3's PascalCase (`AllowedOrigins`, `ID`,
 * `KMSMasterKeyID`), so raw S3 JSON can be pasted anywhere; {@link s3Object} converts the
 * keys of one level (never the keys of user maps such as tags).
 */
import { z } from 'zod';
import { parseDays } from './units.js';

/**
 * S3's PascalCase key to the declaration's camelCase: `ID` -> `id`,
 * `KMSMasterKeyID` -> `kmsMasterKeyId`, `CORSRules` -> `corsRules`.
 */
export function camelKey(key: string): string {
  if (!/^[A-Z]/.test(key)) return key;
  if (/^[A-Z]+$/.test(key)) return key.toLowerCase();
  const lead = /^[A-Z]+(?=[A-Z][a-z])/.exec(key)?.[0] ?? key[0]!;
  return (lead.toLowerCase() + key.slice(lead.length)).replace(/ID$/, 'Id');
}

/**
 * A strict object whose keys may also be written in S3's PascalCase. An unknown key is
 * reported here, with the keys that were expected (the config loader cannot list them for
 * paths inside `buckets:`, a map).
 */
export function s3Object<T extends z.core.$ZodLooseShape>(shape: T) {
  return strictKeys(shape, camelKey);
}

/** A strict object that names the expected keys when it meets an unknown one. */
export function strictKeys<T extends z.core.$ZodLooseShape>(
  shape: T,
  rename: (key: string) => string = (k) => k,
) {
  const known = Object.keys(shape);
  const renameKeys = (value: unknown): unknown =>
    typeof value !== 'object' || value === null || Array.isArray(value)
      ? value
      : Object.fromEntries(
          Object.entries(value).map(([k, v]) => [known.includes(rename(k)) ? rename(k) : k, v]),
        );
  // A catchall that always fails instead of strictObject (whose unrecognized_keys issue the
  // loader cannot explain inside a map): each unknown key is reported with the known ones,
  // and the known keys are still checked, so every problem is reported at once.
  const unknownKey = z
    .unknown()
    .refine(() => false, `unknown key (expected one of ${known.join(', ')})`);
  return z.preprocess(
    renameKeys,
    z.object(shape).catchall(unknownKey) as unknown as z.ZodObject<T, z.core.$strict>,
  );
}

/**
 * Accepts S3's wrapper document as well as its content: `{ Rules: [...] }` -> `[...]`.
 * A preprocess rather than a union, so that errors inside name the bad field.
 */
export function unwrapping<T extends z.core.$ZodType>(key: string, schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const entries = Object.entries(value);
    return entries.length === 1 && camelKey(entries[0]![0]) === key ? entries[0]![1] : value;
  }, schema);
}

/** A bare scalar stands for an object with one field: `expiration: 30d` -> `{ days: 30d }`. */
export function scalarAs<T extends z.core.$ZodType>(key: string, schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'number' || typeof value === 'string' ? { [key]: value } : value),
    schema,
  );
}

/** A whole number of days, or a duration such as `30d`, `12w`, `2y` (see units.ts). */
export const daysSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseDays(value);
  if (parsed.ok) return parsed.days;
  ctx.addIssue({ code: 'custom', input: value, message: parsed.message });
  return z.NEVER;
});

/** Like {@link daysSchema}, but at least one day. */
export const positiveDaysSchema = daysSchema.refine((n) => n >= 1, 'expected at least 1 day');

/** One `{ Key, Value }` tag. */
export const tagSchema = s3Object({ key: z.string().min(1).max(128), value: z.string().max(256) });

/** Tags as a map (`{ team: games }`) or as S3's list of `{ Key, Value }`; output is the list. */
export const tagListSchema = z
  .preprocess(
    (tags) =>
      typeof tags === 'object' && tags !== null && !Array.isArray(tags)
        ? Object.entries(tags).map(([key, value]) => ({ key, value }))
        : tags,
    z.array(tagSchema),
  )
  .transform((tags) => tags.map((t) => ({ Key: t.key, Value: t.value })));

/** `Enabled` / `Disabled`, or a boolean; output is S3's word. */
export const statusSchema = z
  .union([z.enum(['Enabled', 'Disabled']), z.boolean()])
  .transform((s) => (s === true ? 'Enabled' : s === false ? 'Disabled' : s));

/** A key prefix: no leading slash (S3 keys have none; a leading `/` is a common mistake). */
export const prefixSchema = z
  .string()
  .refine((p) => !p.startsWith('/'), 'expected a key prefix without a leading "/"');

/** A filter in the shape shared by lifecycle, Intelligent-Tiering and replication. */
export const filterSchema = s3Object({
  prefix: prefixSchema.optional(),
  tag: tagSchema.optional(),
  tags: tagListSchema.optional(),
  objectSizeGreaterThan: z.number().int().nonnegative().optional(),
  objectSizeLessThan: z.number().int().positive().optional(),
  and: s3Object({
    prefix: prefixSchema.optional(),
    tags: tagListSchema.optional(),
    objectSizeGreaterThan: z.number().int().nonnegative().optional(),
    objectSizeLessThan: z.number().int().positive().optional(),
  }).optional(),
});

/** The parsed form of {@link filterSchema}. */
export type FilterDeclaration = z.output<typeof filterSchema>;

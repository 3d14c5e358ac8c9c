/** PutPublicAccessBlock: four optional booleans, written `true` or `false`. */
import { allowOnly, booleanOf, parseDocument } from './xml-fields.js';

/** The settings of a public access block; an absent one is `false`. */
export const PUBLIC_ACCESS_BLOCK_SETTINGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;

const ROOT = 'PublicAccessBlockConfiguration';

/** The bucket-document validator for `?publicAccessBlock`. */
export function validatePublicAccessBlock(xml: string): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(doc, PUBLIC_ACCESS_BLOCK_SETTINGS, ROOT);
  for (const setting of PUBLIC_ACCESS_BLOCK_SETTINGS) booleanOf(doc, setting, ROOT);
}

/** A bucket's public access block, every setting resolved (absent → false). */
export type PublicAccessBlock = Record<(typeof PUBLIC_ACCESS_BLOCK_SETTINGS)[number], boolean>;

/** Reads a stored `PublicAccessBlockConfiguration` document (already validated on PUT). */
export function parsePublicAccessBlock(xml: string): PublicAccessBlock {
  const doc = parseDocument(xml, ROOT);
  const out = {} as PublicAccessBlock;
  for (const setting of PUBLIC_ACCESS_BLOCK_SETTINGS) {
    out[setting] = booleanOf(doc, setting, ROOT) ?? false;
  }
  return out;
}

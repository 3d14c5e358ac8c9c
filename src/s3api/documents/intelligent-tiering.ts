/**
 * PutBucketIntelligentTieringConfiguration: an `Id` equal to `?id=`, a status, an optional
 * filter and the opt-in archive tiers with the days of no access before each.
 */
import { parseFilter } from './filter.js';
import type { DocumentContext } from './types.js';
import {
  allowOnly,
  checkConfigurationId,
  elementOf,
  elementsOf,
  integerOf,
  invalidArgument,
  malformed,
  oneOf,
  parseDocument,
  requireText,
} from './xml-fields.js';

/** The opt-in tiers and the days of no access S3 allows for each. */
export const ACCESS_TIER_DAYS = {
  ARCHIVE_ACCESS: { min: 90, max: 730 },
  DEEP_ARCHIVE_ACCESS: { min: 180, max: 730 },
} as const;

type AccessTier = keyof typeof ACCESS_TIER_DAYS;
const ROOT = 'IntelligentTieringConfiguration';

/** The bucket-document validator for `?intelligent-tiering`. */
export function validateIntelligentTiering(xml: string, ctx: Pick<DocumentContext, 'id'>): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(doc, ['Id', 'Filter', 'Status', 'Tiering'], ROOT);
  checkConfigurationId(doc, ROOT, ctx.id);
  oneOf(requireText(doc, 'Status', ROOT), ['Enabled', 'Disabled'], 'Status', ROOT);
  parseFilter(elementOf(doc, 'Filter', ROOT), ROOT);
  const tierings = elementsOf(doc, 'Tiering', ROOT);
  if (tierings.length === 0) throw malformed(`${ROOT} must contain at least one <Tiering>`);
  const days = new Map<AccessTier, number>();
  tierings.forEach((t, i) => {
    const where = `Tiering ${i + 1} of ${ROOT}`;
    allowOnly(t, ['Days', 'AccessTier'], where);
    const tiers = Object.keys(ACCESS_TIER_DAYS) as AccessTier[];
    const tier = oneOf(requireText(t, 'AccessTier', where), tiers, 'AccessTier', where);
    const n = integerOf(t, 'Days', where);
    if (n === undefined) throw malformed(`${where} is missing the required element <Days>`);
    const { min, max } = ACCESS_TIER_DAYS[tier];
    if (n < min || n > max) {
      throw invalidArgument(
        `'Days' for AccessTier '${tier}' must be between ${min} and ${max}, got ${n}`,
      );
    }
    if (days.has(tier))
      throw invalidArgument(`AccessTier '${tier}' appears more than once in ${ROOT}`);
    days.set(tier, n);
  });
  const archive = days.get('ARCHIVE_ACCESS');
  const deep = days.get('DEEP_ARCHIVE_ACCESS');
  if (archive !== undefined && deep !== undefined && deep <= archive) {
    throw invalidArgument(
      `'Days' for DEEP_ARCHIVE_ACCESS (${deep}) must be greater than for ARCHIVE_ACCESS (${archive})`,
    );
  }
}

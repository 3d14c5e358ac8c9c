/** The public access block in force on a bucket, read from the engine. */
import type { Engine } from '../../engine/engine.js';
import {
  parsePublicAccessBlock,
  type PublicAccessBlock,
} from '../documents/public-access-block.js';

/** No block: every setting off (a bucket without the document). */
export const NO_PUBLIC_ACCESS_BLOCK: PublicAccessBlock = Object.freeze({
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
});

/**
 * The bucket's public access block settings; all `false` when it has none.
 *
 * @example
 * if (publicAccessBlockOf(engine, 'assets').BlockPublicAcls) throw accessDenied();
 */
export function publicAccessBlockOf(engine: Engine, bucket: string): PublicAccessBlock {
  const xml = engine.findBucketConfig(bucket, 'public-access-block');
  return xml === undefined ? NO_PUBLIC_ACCESS_BLOCK : parsePublicAccessBlock(xml);
}

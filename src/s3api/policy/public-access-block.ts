/** The public access block in force on a bucket, read from the engine. */
import type { Engine } from '../../engine/engine.js';
import { isStowageError } from '../../errors.js';
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
  try {
    return parsePublicAccessBlock(engine.getBucketConfig(bucket, 'public-access-block'));
  } catch (err) {
    if (isStowageError(err) && err.code === 'E_NO_SUCH_BUCKET_CONFIG')
      return NO_PUBLIC_ACCESS_BLOCK;
    throw err;
  }
}

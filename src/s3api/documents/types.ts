/** What a bucket-document validator gets besides the document text. */
import type { Engine } from '../../engine/engine.js';

/** The engine reads validators need: whether a bucket exists, and its versioning state. */
export type DocumentEngine = Pick<Engine, 'headBucket' | 'getBucketVersioning'>;

/** The request a document arrives with. */
export interface DocumentContext {
  /** The bucket the document is for. */
  bucket: string;
  /** The `?id=` parameter (inventory, Intelligent-Tiering, metrics); `''` when absent. */
  id: string;
  engine: DocumentEngine;
}

/**
 * Validates one kind of bucket document before it is stored. MUST throw a StowageError
 * with S3's error code and a message naming the problem when S3 would refuse the
 * document, and MUST NOT change anything.
 */
export type DocumentValidator = (text: string, ctx: DocumentContext) => void;

/**
 * A bucket's CORS rules, read from the engine's stored `?cors` document. Parsing is
 * cached by the document's text, so a request pays one metadata read and no XML parse;
 * a new PutBucketCors changes the text and so takes effect at once.
 */
import type { Engine } from '../../engine/engine.js';
import { isStowageError } from '../../errors.js';
import { parseCorsRules, type CorsRule } from '../documents/cors.js';

/** A bucket's CORS state: no bucket, no configuration, or its rules. */
export type BucketCors =
  { kind: 'no-bucket' } | { kind: 'no-config' } | { kind: 'rules'; rules: readonly CorsRule[] };

/** Parsed documents kept; a server rarely has more distinct CORS documents than this. */
const CACHE_LIMIT = 256;
const cache = new Map<string, readonly CorsRule[]>();

function parseCached(text: string): readonly CorsRule[] {
  const hit = cache.get(text);
  if (hit) return hit;
  let rules: readonly CorsRule[];
  try {
    rules = Object.freeze(parseCorsRules(text));
  } catch {
    // Stored documents were validated on PUT; one that no longer parses allows nothing.
    rules = [];
  }
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(text, rules);
  return rules;
}

/**
 * Reads a bucket's CORS rules. Never throws for a missing bucket or configuration; other
 * engine failures (a closed engine, a damaged database) propagate.
 */
export function readBucketCors(engine: Engine, bucket: string): BucketCors {
  let text: string | undefined;
  try {
    text = engine.findBucketConfig(bucket, 'cors');
  } catch (err) {
    if (isStowageError(err, 'E_NO_SUCH_BUCKET')) return { kind: 'no-bucket' };
    throw err;
  }
  if (text === undefined) return { kind: 'no-config' };
  return { kind: 'rules', rules: parseCached(text) };
}

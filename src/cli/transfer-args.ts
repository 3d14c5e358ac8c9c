/**
 * Flag parsing shared by cp, mv, rm and sync: filters in command-line order, object
 * properties (`--metadata`, `--sse` …), rate and bandwidth limits, and the two locations.
 * Every bad value is an `E_USAGE` error naming the flag and the value (exit code 2).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { parseLocation, type Location } from '../client/index.js';
import { StowageError } from '../errors.js';
import type { MetadataDirective, ObjectProperties, SseAlgorithm } from '../transfer/index.js';
import { filterRulesFromArgs, type FilterRule } from '../transfer/sync/filters.js';
import { HEADER_TOKEN } from '../client/http-text.js';

/** A usage error (E_USAGE, exit 2), with details when given. */
export const usage = (message: string, details?: Record<string, unknown>) =>
  new StowageError('E_USAGE', message, details ? { details } : undefined);

/**
 * Adds `--exclude` and `--include` to a command. Both append to one list, so the rules
 * keep their relative command-line order (the last matching rule wins, as in aws-cli);
 * commander calls option parsers in argv order. Read the rules with the returned function.
 */
export function addFilterOptions(cmd: Command): () => FilterRule[] {
  const pairs: [string, string][] = [];
  const collect = (flag: string) => (value: string) => {
    pairs.push([flag, value]);
    return pairs.length;
  };
  cmd
    .option('--exclude <pattern>', 'skip keys matching the glob (repeatable)', collect('--exclude'))
    .option(
      '--include <pattern>',
      're-include keys matching the glob (repeatable; later rules win)',
      collect('--include'),
    );
  return () => filterRulesFromArgs(pairs);
}

/** Adds `--rate-limit` and `--bandwidth-limit`. */
export function addLimitOptions(cmd: Command): Command {
  return cmd
    .option('--rate-limit <n>', 'most requests per second for the whole run')
    .option('--bandwidth-limit <rate>', 'most bytes per second, e.g. 500K, 20M, 1G (binary units)');
}

/** Adds the object-property flags of cp and mv. */
export function addPropertyOptions(cmd: Command): Command {
  return cmd
    .option('--storage-class <class>', 'storage class of the new objects (e.g. STANDARD_IA)')
    .option('--content-type <type>', 'Content-Type (else detected from the file extension)')
    .option('--metadata <pairs>', 'user metadata: k=v,k2=v2 or a JSON object')
    .addOption(
      new Option('--metadata-directive <directive>', 'store→store: COPY or REPLACE metadata'),
    )
    .option('--sse <algorithm>', 'server-side encryption: AES256 or aws:kms')
    .option('--sse-kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--cache-control <value>', 'Cache-Control stored with the objects');
}

/** The raw values of {@link addPropertyOptions}. */
export interface PropertyFlags {
  storageClass?: string;
  contentType?: string;
  metadata?: string;
  metadataDirective?: string;
  sse?: string;
  sseKmsKeyId?: string;
  cacheControl?: string;
}

/** `k=v,k2=v2` or `{"k":"v"}` → a record. */
export function parseMetadata(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw usage(`invalid --metadata "${text}": not valid JSON`, { flag: '--metadata' });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw usage(`invalid --metadata "${text}": expected a JSON object`);
    }
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== 'string')
        throw usage(`invalid --metadata "${text}": "${k}" is not a string`);
      out[k] = v;
    }
    return out;
  }
  for (const pair of trimmed.split(',')) {
    const at = pair.indexOf('=');
    const key = at === -1 ? '' : pair.slice(0, at).trim();
    if (key === '' || !HEADER_TOKEN.test(key)) {
      throw usage(`invalid --metadata "${text}": expected key=value pairs separated by commas`, {
        flag: '--metadata',
        value: text,
      });
    }
    out[key] = pair.slice(at + 1);
  }
  return out;
}

/** Validates the property flags into transfer options. */
export function parseProperties(
  f: PropertyFlags,
): ObjectProperties & { metadataDirective?: MetadataDirective } {
  const out: ObjectProperties & { metadataDirective?: MetadataDirective } = {};
  if (f.storageClass !== undefined) {
    if (!/^[A-Z_]+$/.test(f.storageClass)) {
      throw usage(`invalid --storage-class "${f.storageClass}": expected e.g. STANDARD_IA`);
    }
    out.storageClass = f.storageClass;
  }
  if (f.contentType !== undefined) {
    if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(f.contentType)) {
      throw usage(`invalid --content-type "${f.contentType}": expected type/subtype`);
    }
    out.contentType = f.contentType;
  }
  if (f.metadata !== undefined) out.metadata = parseMetadata(f.metadata);
  if (f.metadataDirective !== undefined) {
    const d = f.metadataDirective.toUpperCase();
    if (d !== 'COPY' && d !== 'REPLACE') {
      throw usage(
        `invalid --metadata-directive "${f.metadataDirective}": expected COPY or REPLACE`,
      );
    }
    out.metadataDirective = d;
  }
  if (f.sse !== undefined) {
    if (f.sse !== 'AES256' && f.sse !== 'aws:kms') {
      throw usage(`invalid --sse "${f.sse}": expected AES256 or aws:kms`);
    }
    out.sse = f.sse as SseAlgorithm;
  }
  if (f.sseKmsKeyId !== undefined) {
    if (out.sse !== 'aws:kms') throw usage('--sse-kms-key-id needs --sse aws:kms');
    out.sseKmsKeyId = f.sseKmsKeyId;
  }
  if (f.cacheControl !== undefined) out.cacheControl = f.cacheControl;
  return out;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `--bandwidth-limit`: bytes per second, with an optional K/M/G/T suffix (binary). */
function parseBandwidth(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?(?:\/s)?\s*$/i.exec(text);
  const n = m ? Number(m[1]) * (UNITS[m[2]!.toUpperCase()] ?? 1) : Number.NaN;
  if (!(n >= 1) || !Number.isFinite(n)) {
    throw usage(`invalid --bandwidth-limit "${text}": expected bytes per second, e.g. 500K or 20M`);
  }
  return Math.floor(n);
}

/** `--rate-limit` and `--bandwidth-limit` of {@link addLimitOptions}, parsed. */
export function parseLimits(f: { rateLimit?: string; bandwidthLimit?: string }): {
  rateLimit?: number;
  bandwidthLimit?: number;
} {
  return { rateLimit: parseRate(f.rateLimit), bandwidthLimit: parseBandwidth(f.bandwidthLimit) };
}

/**
 * A local source of `--recursive` copies and of sync must be an existing directory.
 *
 * @throws StowageError `E_USAGE` naming the source as the user wrote it.
 */
export async function requireLocalDir(absolute: string, text: string, why = ''): Promise<void> {
  const st = await stat(absolute).catch(() => undefined);
  if (!st) throw usage(`the source "${text}" does not exist`);
  if (!st.isDirectory()) throw usage(`the source "${text}" is not a directory${why}`);
}

/** `--rate-limit`: requests per second, a positive number. */
function parseRate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(n > 0)) throw usage(`invalid --rate-limit "${text}": expected requests per second > 0`);
  return n;
}

/** A command's two locations, with local paths made absolute against `cwd`. */
export interface Ends {
  src: Location;
  dst: Location;
  /** The local paths as the user wrote them, for output lines. */
  srcText: string;
  dstText: string;
}

/** Parses SRC and DST; two local paths are a usage error (there is no store involved). */
export function parseEnds(src: string, dst: string, cwd: string, verb: string): Ends {
  const a = absolute(parseLocation(src), cwd);
  const b = absolute(parseLocation(dst), cwd);
  if (a.kind === 'local' && b.kind === 'local') {
    throw usage(
      `${verb}: "${src}" and "${dst}" are both local paths; one of them must be an s3:// URL`,
    );
  }
  return { src: a, dst: b, srcText: src, dstText: dst };
}

function absolute(l: Location, cwd: string): Location {
  return l.kind === 'local' ? { kind: 'local', path: path.resolve(cwd, l.path) } : l;
}

/**
 * Shared pieces of the store commands (ls, du, stat, rb, set-class …): URL arguments,
 * aws-cli's date and size formats, and per-item failure lines.
 */
import { parseS3Url, type S3Location } from '../client/index.js';
import { EXIT, StowageError, toStowageError } from '../errors.js';
import type { CliContext } from './context.js';
import { escapeControls, printable } from './printable.js';

/** Parses an `s3://bucket/key` argument; a bad one is a usage error naming it. */
export function s3Arg(text: string, what = 'URL'): S3Location {
  try {
    return parseS3Url(text);
  } catch (err) {
    if (err instanceof StowageError) throw err;
    throw new StowageError('E_USAGE', `invalid ${what} "${text}"`, { cause: err });
  }
}

/** Parses a whole-number flag value, naming the flag and the bad value when it is not one. */
export function intFlag(flag: string, value: string, min: number, max: number): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new StowageError(
      'E_USAGE',
      `invalid ${flag} "${value}": expected a whole number from ${min} to ${max}`,
      { details: { flag, value } },
    );
  }
  return n;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-22 10:00:00` in local time, as `aws s3 ls` prints dates. */
export function awsDate(date: Date | undefined): string {
  if (!date) return '                   ';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

const HUMAN_SUFFIXES = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/**
 * aws-cli's `--human-readable` sizes: `1 Byte`, `512 Bytes`, `1.5 KiB`, `3.0 GiB` (base 1024,
 * one decimal, the largest unit that keeps the number under 1024).
 */
export function humanSize(bytes: number): string {
  if (bytes === 1) return '1 Byte';
  if (bytes < 1024) return `${bytes} Bytes`;
  for (let i = 0; i < HUMAN_SUFFIXES.length; i += 1) {
    const unit = 1024 ** (i + 2);
    if (Math.round((bytes / unit) * 1024) < 1024 || i === HUMAN_SUFFIXES.length - 1) {
      return `${((1024 * bytes) / unit).toFixed(1)} ${HUMAN_SUFFIXES[i]}`;
    }
  }
  return `${bytes} Bytes`;
}

/** A size for text output: bytes, or {@link humanSize} with `--human-readable`. */
export function sizeText(bytes: number, human: boolean | undefined): string {
  return human ? humanSize(bytes) : String(bytes);
}

/**
 * Reports one failed item of a batch and marks the run as failed (exit 1): a line on
 * stderr, or with `--json` a `{"url", "ok": false, "error"}` line on stdout.
 */
export function reportItemFailure(ctx: CliContext, url: string, err: unknown): void {
  const error = toStowageError(err);
  ctx.exitCode = EXIT.internal;
  if (ctx.globals().json) {
    ctx
      .output()
      .line({ url, ok: false, error: { code: error.code, message: error.message } }, () => '');
    return;
  }
  // A key with a newline or ESC must neither cut the line nor reach the terminal raw.
  const shown = printable(url);
  const message = error.message.includes(url)
    ? error.message.replaceAll(url, shown)
    : `${shown}: ${error.message}`;
  const firstLine = message.split('\n')[0] ?? '';
  ctx.io.stderr.write(`stowage: ${escapeControls(firstLine)} (${error.code})\n`);
}

/**
 * How commands print: results as human text or JSON on stdout, errors as one line on
 * stderr (or a JSON object on stdout with `--json`), with exit codes from the error table.
 */
import { stringify } from 'yaml';
import { isStowageError, toStowageError } from '../errors.js';
import { redactSecrets } from '../log.js';
import type { CliIo } from './context.js';
import { escapeControls } from './printable.js';

/** Printing helpers bound to one run's streams and flags. */
export interface Output {
  /** True with `--json`: commands print one JSON document on stdout and nothing else. */
  readonly json: boolean;
  /**
   * Prints a command's result: JSON with `--json`, otherwise `toText(value)` (YAML by default).
   */
  result<T>(value: T, toText?: (value: T) => string): void;
  /** A human-only line on stdout (e.g. "ok"); dropped with `--json` or `--quiet`. */
  message(text: string): void;
  /**
   * One result of a streaming command (a listing entry, a deleted key): one compact JSON
   * object per line with `--json`, so scripts read results as they come; else `toText(value)`.
   */
  line<T>(value: T, toText: (value: T) => string): void;
}

/** Flags that shape output. */
export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * Creates the printing helpers for a run.
 *
 * @example
 * const out = createOutput(io, { json: true });
 * out.result({ buckets: 3 }); // {"buckets": 3} on stdout
 */
export function createOutput(io: CliIo, flags: OutputFlags): Output {
  const json = flags.json === true;
  return {
    json,
    result(value, toText) {
      if (json) {
        io.stdout.write(`${JSON.stringify(redactSecrets(value), null, 2)}\n`);
        return;
      }
      const text = toText ? toText(value) : defaultText(value);
      if (text !== '') io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    message(text) {
      if (!json && !flags.quiet) io.stdout.write(`${text}\n`);
    },
    line(value, toText) {
      const text = json ? JSON.stringify(redactSecrets(value)) : toText(value);
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}

function defaultText(value: unknown): string {
  return typeof value === 'string' ? value : stringify(value);
}

/**
 * Prints an error the way scripts and people expect and returns the exit code.
 * A StowageError exits with its table code; anything else is an internal error (exit 1).
 * Stack traces appear only with `verbose`, because a stack is noise to a user.
 */
export function reportError(err: unknown, io: CliIo, flags: OutputFlags): number {
  const error = toStowageError(err);
  const expected = isStowageError(err);
  if (flags.json) {
    const body = { code: error.code, message: error.message, details: error.details };
    io.stdout.write(`${JSON.stringify({ error: redactSecrets(body) })}\n`);
  } else {
    const firstLine = error.message.split('\n')[0] ?? '';
    const text = expected ? firstLine : `internal error: ${firstLine}`;
    // A message may quote a key from a listing: no raw ESC or CR reaches the terminal.
    io.stderr.write(`stowage: ${escapeControls(text)} (${error.code})\n`);
  }
  if (flags.verbose) {
    io.stderr.write(stackText(err));
  } else if (!expected && !flags.json) {
    io.stderr.write('stowage: run with --verbose for a stack trace\n');
  }
  return error.exitCode;
}

function stackText(err: unknown): string {
  const lines: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    const stack = current instanceof Error ? (current.stack ?? current.message) : String(current);
    lines.push(depth === 0 ? stack : `caused by: ${stack}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Turns zod issues into config errors a person can act on:
 * `stowage.yaml: engine.fsync: expected boolean, got "yes"`.
 */
import type { z } from 'zod';
import { StowageError } from '../errors.js';
import { configKeysAt } from './schema.js';

/** One problem with the configuration, as carried in `StowageError.details.issues`. */
export interface ConfigIssue {
  /** Where the value came from: a file name, `env LOG_LEVEL`, `--data-dir`. */
  source: string;
  /** Dotted key path, e.g. `engine.minPartSizeBytes`. */
  path: string;
  /** What was expected and what was found. */
  problem: string;
}

/**
 * Describes one zod issue. Unknown-key issues expand into one entry per unknown key so that
 * each names its full path.
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  sourceOf: (path: string) => string,
): ConfigIssue[] {
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = configKeysAt(at) ?? [];
    return issue.keys.map((key) => {
      const keyPath = [...at, key].join('.');
      return {
        source: sourceOf(keyPath),
        path: keyPath,
        problem: `unknown key (expected one of ${known.join(', ')})`,
      };
    });
  }
  const dotted = at.join('.') || '(top level)';
  // `input` is present when parsed with reportInput; it also covers values filled by defaults.
  const value = issue.input !== undefined ? issue.input : valueAt(raw, at);
  // A secret's value never appears in an error, even a wrong one.
  const secret = /secret|password/i.test(at[at.length - 1] ?? '');
  const got = secret ? 'got a value that does not fit (not shown)' : `got ${describeValue(value)}`;
  return [{ source: sourceOf(dotted), path: dotted, problem: `${expectation(issue)}, ${got}` }];
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'integer' : issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join('|')}`;
    case 'too_small':
      if (issue.origin === 'string') return `expected at least ${issue.minimum} character(s)`;
      if (issue.origin === 'array') return `expected a list of at least ${issue.minimum} item(s)`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `expected at most ${issue.maximum} character(s)`;
      if (issue.origin === 'array') return `expected a list of at most ${issue.maximum} item(s)`;
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    default:
      return issue.message;
  }
}

function valueAt(raw: unknown, at: string[]): unknown {
  let node = raw;
  for (const key of at) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A short, quoted rendering of a bad value; long strings are cut so errors stay one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Builds the E_CONFIG_INVALID error for a list of issues, all of them in one message. */
export function configError(issues: ConfigIssue[], file: string | undefined): StowageError {
  const message = issues.map((i) => `${i.source}: ${i.path}: ${i.problem}`).join('; ');
  return new StowageError('E_CONFIG_INVALID', message, {
    details: { ...(file ? { file } : {}), issues },
  });
}

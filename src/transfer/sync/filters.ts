/**
 * `--exclude` / `--include` filters with aws-cli's semantics (see docs/sync.md):
 *
 * 1. every key starts included;
 * 2. the rules are applied in the order given; each rule whose pattern matches the key
 *    sets it excluded or included, so when several match, the LAST one wins;
 * 3. patterns are globs ({@link compileGlob}) matched against the whole key relative to
 *    the sync root (the source directory or prefix; for the destination side of a
 *    `--delete`, the destination root). `*` crosses '/'.
 *
 * A rule matches a key or not; it never adds rules for the "parent directories" of its
 * pattern (released aws-cli has no such rule). One did, and made
 * `--exclude '*' --include 'logs/*'` select an object named `logs`, which
 * `sync --delete` and `rm --recursive` then deleted.
 */
import { StowageError } from '../../errors.js';
import { compileGlob } from './glob.js';

/** One filter as given on the command line. */
export interface FilterRule {
  type: 'exclude' | 'include';
  pattern: string;
}

/** A compiled filter list. */
export interface KeyFilter {
  /** True when the key takes part in the sync (is not excluded). */
  includes(key: string): boolean;
  /** True when there are no rules (everything is included). */
  readonly empty: boolean;
}

/**
 * Compiles filter rules, in command-line order.
 *
 * @example
 * const f = compileFilters([
 *   { type: 'exclude', pattern: '*' },
 *   { type: 'include', pattern: '*.jpg' },
 * ]);
 * f.includes('a/b.jpg'); // true
 * f.includes('a/b.txt'); // false
 */
export function compileFilters(rules: readonly FilterRule[]): KeyFilter {
  const compiled: { include: boolean; test: (key: string) => boolean }[] = [];
  for (const rule of rules) {
    if (rule.type !== 'exclude' && rule.type !== 'include') {
      throw new StowageError('E_INVALID_ARGUMENT', `unknown filter type "${String(rule.type)}"`);
    }
    if (typeof rule.pattern !== 'string' || rule.pattern === '') {
      throw new StowageError('E_USAGE', `--${rule.type} needs a non-empty pattern`, {
        details: { filter: rule.type },
      });
    }
    compiled.push({ include: rule.type === 'include', test: compileGlob(rule.pattern) });
  }
  return {
    empty: compiled.length === 0,
    includes(key: string): boolean {
      let included = true;
      for (const rule of compiled) if (rule.test(key)) included = rule.include;
      return included;
    },
  };
}

/**
 * Parses the flags in order into rules: `args` are `[flag, pattern]` pairs as commander
 * or a CLI collects them (`--exclude`, `--include`).
 */
export function filterRulesFromArgs(args: readonly (readonly [string, string])[]): FilterRule[] {
  return args.map(([flag, pattern]) => {
    const type = flag.replace(/^--/, '');
    if (type !== 'exclude' && type !== 'include') {
      throw new StowageError('E_USAGE', `unknown filter flag "${flag}"`);
    }
    return { type, pattern };
  });
}

import { describe, expect, it } from 'vitest';
import { isStowageError } from '../../errors.js';
import { compileFilters, filterRulesFromArgs, type FilterRule } from './filters.js';
import { compileGlob } from './glob.js';

const ex = (pattern: string): FilterRule => ({ type: 'exclude', pattern });
const inc = (pattern: string): FilterRule => ({ type: 'include', pattern });
const kept = (rules: FilterRule[], keys: string[]): string[] => {
  const f = compileFilters(rules);
  return keys.filter((k) => f.includes(k));
};

/** The tree of aws-cli's "Use of Exclude and Include Filters" examples, relative to /tmp/foo. */
const FOO = ['.git/config', '.git/description', 'foo.txt', 'bar.txt', 'baz.jpg'];

describe('aws-cli documented filter examples', () => {
  it('--exclude "*" --include "*.txt" keeps only .txt files', () => {
    expect(kept([ex('*'), inc('*.txt')], FOO)).toEqual(['foo.txt', 'bar.txt']);
  });

  it('--include "*.txt" --exclude "*" excludes everything (later filters win)', () => {
    expect(kept([inc('*.txt'), ex('*')], FOO)).toEqual([]);
  });

  it('--exclude ".git/*" excludes .git/config and .git/description only', () => {
    expect(kept([ex('.git/*')], FOO)).toEqual(['foo.txt', 'bar.txt', 'baz.jpg']);
  });

  it('--exclude "ba*" excludes bar.txt and baz.jpg', () => {
    expect(kept([ex('ba*')], FOO)).toEqual(['.git/config', '.git/description', 'foo.txt']);
  });

  it('an --include alone changes nothing: all files start included', () => {
    expect(kept([inc('*.jpg')], FOO)).toEqual(FOO);
  });

  it('--exclude "*" --include "*.jpg" uploads only .jpg files', () => {
    expect(kept([ex('*'), inc('*.jpg')], FOO)).toEqual(['baz.jpg']);
  });

  it('--exclude "*" --include "*.jpg" --include "*.txt" keeps both kinds', () => {
    expect(kept([ex('*'), inc('*.jpg'), inc('*.txt')], FOO)).toEqual([
      'foo.txt',
      'bar.txt',
      'baz.jpg',
    ]);
  });
});

describe('filter precedence', () => {
  it('applies every rule in order; the last match decides', () => {
    const rules = [ex('*'), inc('photos/*'), ex('photos/raw/*'), inc('photos/raw/*.jpg')];
    expect(kept(rules, ['a.txt', 'photos/a.png', 'photos/raw/b.cr2', 'photos/raw/b.jpg'])).toEqual([
      'photos/a.png',
      'photos/raw/b.jpg',
    ]);
  });

  it('an include matches only its own pattern, never the parent "directories" of it (as aws-cli)', () => {
    // aws-cli's Filter (awscli/customizations/s3/filters.py) matches each pattern as given:
    // the objects 'logs' and 'logs/2026' are not under 'logs/2026/', so they stay excluded
    // (and a sync --delete or rm --recursive leaves them alone).
    expect(
      kept([ex('*'), inc('logs/2026/*.gz')], ['logs', 'logs/2026', 'logs/x', 'logs/2026/a.gz']),
    ).toEqual(['logs/2026/a.gz']);
    expect(kept([ex('*'), inc('logs/*')], ['logs', 'logs/old.txt', 'other.bin'])).toEqual([
      'logs/old.txt',
    ]);
  });

  it('is case-sensitive, as on POSIX', () => {
    expect(kept([ex('*.JPG')], ['a.jpg', 'b.JPG'])).toEqual(['a.jpg']);
  });

  it('rejects an empty pattern and unknown flags with usage errors', () => {
    expect(() => compileFilters([ex('')])).toThrow(/--exclude needs a non-empty pattern/);
    try {
      filterRulesFromArgs([['--exclud', '*']]);
      expect.unreachable();
    } catch (err) {
      expect(isStowageError(err, 'E_USAGE')).toBe(true);
    }
    expect(
      filterRulesFromArgs([
        ['--exclude', '*'],
        ['--include', '*.txt'],
      ]),
    ).toEqual([ex('*'), inc('*.txt')]);
  });
});

describe('glob (Python fnmatch semantics)', () => {
  const cases: [string, string, boolean][] = [
    ['*', 'a/b/c', true],
    ['*.txt', 'dir/notes.txt', true],
    ['*.txt', 'notes.txt.bak', false],
    ['a*', 'ba', false],
    ['?', 'é', true],
    ['?', '😀', true],
    ['??', '😀', false],
    ['a?c', 'a/c', true],
    ['[abc].txt', 'b.txt', true],
    ['[abc].txt', 'd.txt', false],
    ['[!abc].txt', 'd.txt', true],
    ['[!abc].txt', 'a.txt', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[]]', ']', true],
    ['[!]]', 'a', true],
    ['[!]]', ']', false],
    ['[a-]', '-', true],
    ['[z-a]x', 'mx', false],
    ['a[', 'a[', true],
    ['a[b', 'a[b', true],
    ['\\*', '\\abc', true],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['*', 'line\nbreak', true],
    ['a$', 'a$', true],
    ['^a', '^a', true],
  ];
  it.each(cases)('%j matches %j: %s', (pattern, key, expected) => {
    expect(compileGlob(pattern)(key)).toBe(expected);
  });
});

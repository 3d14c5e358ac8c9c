import { describe, expect, it } from 'vitest';
import { LOG_REDACT_PATHS, createLogger, redactSecrets, unredactedSibling } from './log.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => lines.push(line) } };
}

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

describe('createLogger', () => {
  it('writes JSON lines at or above the level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination });
    log.debug('hidden');
    log.info({ bucket: 'assets' }, 'created');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 30,
      bucket: 'assets',
      msg: 'created',
    });
  });

  it.each([
    ['secretAccessKey', { secretAccessKey: SECRET }],
    ['nested secretAccessKey', { credentials: { secretAccessKey: SECRET } }],
    ['secretKey', { aws: { secretKey: SECRET } }],
    ['password', { db: { password: SECRET } }],
    ['secret', { secret: SECRET }],
    ['sessionToken', { creds: { sessionToken: SECRET } }],
    ['authorization header', { headers: { authorization: SECRET } }],
    ['request authorization header', { req: { headers: { authorization: SECRET } } }],
    ['security token header', { req: { headers: { 'x-amz-security-token': SECRET } } }],
    ['cookie header', { headers: { cookie: SECRET } }],
    [
      'SSE-C key header',
      { req: { headers: { 'x-amz-server-side-encryption-customer-key': SECRET } } },
    ],
    [
      'SSE-C copy-source key header',
      { headers: { 'x-amz-copy-source-server-side-encryption-customer-key': SECRET } },
    ],
  ])('never writes a redacted value: %s', (_name, fields) => {
    for (const pretty of [false, true]) {
      const { lines, destination } = capture();
      createLogger({ level: 'info', pretty, destination }).info(fields, 'request');
      const output = lines.join('');
      expect(output).not.toContain(SECRET);
      expect(output).toContain('[REDACTED]');
    }
  });

  it('pretty-prints one readable line', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'info', pretty: true, destination }).warn({ bucket: 'b' }, 'slow');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN slow bucket="b"\n$/);
  });

  it('unredactedSibling writes to the same place at the same level, without redaction', () => {
    for (const pretty of [false, true]) {
      const { lines, destination } = capture();
      const log = createLogger({ level: 'warn', pretty, destination });
      const access = unredactedSibling(log);
      access.info({ path: '/b/k' }, 'below the level');
      access.warn({ path: '/b/k', secret: 'not-redacted-here' }, 'request');
      log.warn({ secret: SECRET }, 'redacted');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('/b/k');
      expect(lines[0]).toContain('not-redacted-here');
      expect(lines[1]).not.toContain(SECRET);
    }
  });

  it('redacts at the top level and two levels down', () => {
    expect(LOG_REDACT_PATHS).toEqual(
      expect.arrayContaining(['password', '*.password', '*.*.password', 'headers.cookie']),
    );
  });
});

describe('redactSecrets', () => {
  it('replaces secret-looking keys at any depth, case-insensitively', () => {
    const input = {
      a: 1,
      deep: { deeper: { Password: SECRET, list: [{ SecretAccessKey: SECRET }] } },
    };
    const out = redactSecrets(input);
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(out.deep.deeper.Password).toBe('[REDACTED]');
    expect(input.deep.deeper.Password).toBe(SECRET);
  });

  it('leaves dates and primitives alone', () => {
    const when = new Date(0);
    expect(redactSecrets({ when, n: 1, s: 'x' })).toEqual({ when, n: 1, s: 'x' });
    expect(redactSecrets('plain')).toBe('plain');
  });
});

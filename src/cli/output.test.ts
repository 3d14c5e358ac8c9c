import { describe, expect, it } from 'vitest';
import { StowageError } from '../errors.js';
import type { CliIo } from './context.js';
import { createOutput, reportError } from './output.js';

function io() {
  const streams = { stdout: '', stderr: '' };
  const cliIo: CliIo = {
    stdout: { write: (s: string) => (streams.stdout += s) },
    stderr: { write: (s: string) => (streams.stderr += s) },
    stdin: (async function* () {})(),
    env: {},
    cwd: '/',
  };
  return { streams, cliIo };
}

describe('reportError', () => {
  it('prints a StowageError with its code and exits with the table code', () => {
    const { streams, cliIo } = io();
    const code = reportError(
      new StowageError('E_NO_SUCH_BUCKET', 'bucket "b" does not exist'),
      cliIo,
      {},
    );
    expect(code).toBe(3);
    expect(streams.stderr).toBe('stowage: bucket "b" does not exist (E_NO_SUCH_BUCKET)\n');
    expect(streams.stdout).toBe('');
  });

  it('prints any other error as one line, exit 1, no stack trace', () => {
    const { streams, cliIo } = io();
    const code = reportError(new TypeError('x is undefined\nsecond line'), cliIo, {});
    expect(code).toBe(1);
    expect(streams.stderr).toBe(
      'stowage: internal error: x is undefined (E_INTERNAL)\nstowage: run with --verbose for a stack trace\n',
    );
  });

  it('writes control characters of a message (a key quoted in it) as escapes', () => {
    const { streams, cliIo } = io();
    reportError(
      new StowageError('E_NO_SUCH_KEY', 's3://b/evil\u001b[2Jx\rkey was not found'),
      cliIo,
      {},
    );
    expect(streams.stderr).toBe(
      'stowage: s3://b/evil\\u001b[2Jx\\rkey was not found (E_NO_SUCH_KEY)\n',
    );
  });

  it('adds the stack and causes with verbose', () => {
    const { streams, cliIo } = io();
    const cause = new Error('disk said no');
    reportError(new StowageError('E_INTERNAL', 'failed', { cause }), cliIo, { verbose: true });
    expect(streams.stderr).toMatch(/\n\s+at /);
    expect(streams.stderr).toContain('caused by: Error: disk said no');
  });

  it('prints the JSON shape on stdout with json, secrets redacted', () => {
    const { streams, cliIo } = io();
    const err = new StowageError('E_ACCESS_DENIED', 'denied', {
      details: { bucket: 'b', secretAccessKey: 'hunter2' },
    });
    expect(reportError(err, cliIo, { json: true })).toBe(6);
    expect(streams.stderr).toBe('');
    expect(JSON.parse(streams.stdout)).toEqual({
      error: {
        code: 'E_ACCESS_DENIED',
        message: 'denied',
        details: { bucket: 'b', secretAccessKey: '[REDACTED]' },
      },
    });
  });

  it('maps a plain error to E_INTERNAL in JSON', () => {
    const { streams, cliIo } = io();
    expect(reportError(new Error('boom'), cliIo, { json: true })).toBe(1);
    expect(JSON.parse(streams.stdout)).toEqual({
      error: { code: 'E_INTERNAL', message: 'boom', details: {} },
    });
  });
});

describe('createOutput', () => {
  it('prints results as YAML, custom text or JSON', () => {
    const human = io();
    createOutput(human.cliIo, {}).result({ a: 1 });
    createOutput(human.cliIo, {}).result({ a: 1 }, (v) => `a is ${v.a}`);
    expect(human.streams.stdout).toBe('a: 1\na is 1\n');

    const json = io();
    createOutput(json.cliIo, { json: true }).result({ a: 1 });
    expect(JSON.parse(json.streams.stdout)).toEqual({ a: 1 });
  });

  it('drops messages with --quiet or --json', () => {
    for (const flags of [{ quiet: true }, { json: true }]) {
      const { streams, cliIo } = io();
      createOutput(cliIo, flags).message('ok');
      expect(streams.stdout).toBe('');
    }
    const { streams, cliIo } = io();
    createOutput(cliIo, {}).message('ok');
    expect(streams.stdout).toBe('ok\n');
  });
});

import { describe, expect, it } from 'vitest';
import { expectError } from '../../test/helpers/expect-error.js';
import { parseIni } from './ini.js';

describe('parseIni', () => {
  it('reads sections, comments, CRLF and nested s3 blocks as aws-cli does', () => {
    const text = [
      '\uFEFF# a comment',
      '[default]',
      'region = us-east-1',
      '; another comment',
      '[profile  dev]',
      'Region=eu-west-1',
      'endpoint_url = http://127.0.0.1:9000/',
      's3 =',
      '  addressing_style = path',
      '  max_concurrent_requests = 20',
      'output = json',
      '',
    ].join('\r\n');
    expect(parseIni(text, 'config')).toEqual({
      default: { region: 'us-east-1' },
      'profile dev': {
        region: 'eu-west-1',
        endpoint_url: 'http://127.0.0.1:9000/',
        's3.addressing_style': 'path',
        's3.max_concurrent_requests': '20',
        output: 'json',
      },
    });
  });

  it('keeps "=" inside values (secrets may contain it)', () => {
    expect(parseIni('[x]\naws_secret_access_key = ab=cd/ef+\n', 'c').x).toEqual({
      aws_secret_access_key: 'ab=cd/ef+',
    });
  });

  it('merges a section that appears twice', () => {
    expect(parseIni('[a]\nk=1\n[b]\nk=2\n[a]\nj=3\n', 'c').a).toEqual({ k: '1', j: '3' });
  });

  it('names the file and line of a line it cannot read', async () => {
    await expectError(
      () => parseIni('[a]\nk=1\nnot a setting\n', '/h/.aws/config'),
      'E_CONFIG_INVALID',
      '/h/.aws/config:3',
    );
    await expectError(
      () => parseIni('k = 1\n', 'creds'),
      'E_CONFIG_INVALID',
      /creds:1: .*inside a section/,
    );
  });
});

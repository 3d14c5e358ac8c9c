import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../../test/helpers/certificate.js';
import { certificateValidity } from './tls.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stowage-tls-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('certificateValidity', () => {
  it('says when a certificate has expired or is not valid yet, and nothing while it is', () => {
    const cert = readFileSync(makeCertificate(dir, 'v').cert);
    const day = 24 * 3600 * 1000;
    expect(certificateValidity(cert, Date.now())).toBeUndefined();
    expect(certificateValidity(cert, Date.now() + 3 * day)).toMatch(
      /^the certificate expired on \d{4}-.*clients refuse it until it is renewed$/,
    );
    expect(certificateValidity(cert, Date.now() - day)).toMatch(
      /^the certificate is valid only from .*is this machine's clock right\?\)$/,
    );
  });
});

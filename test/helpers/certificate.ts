/** Throwaway TLS certificates for tests, made with Debian's openssl. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

/** A self-signed P-256 certificate for localhost and 127.0.0.1, valid for two days. */
export function makeCertificate(dir: string, name: string): { cert: string; key: string } {
  const out = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  execFileSync(
    OPENSSL,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      out.key,
      '-out',
      out.cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  return out;
}

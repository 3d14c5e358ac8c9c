/**
 * A CA bundle: the PEM file `AWS_CA_BUNDLE`, a profile's `ca_bundle` or a store's `caBundle`
 * names, so that HTTPS to an endpoint with a self-signed or private-CA certificate works as
 * with aws-cli. Read once when the store is resolved; a file that cannot be read or holds
 * no certificate is a config error naming the setting, not a TLS failure at the first request.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { StowageError } from '../errors.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of the PEM file `file` (`~/` is the home directory; a relative path is
 * relative to `cwd`), as PEM text.
 *
 * @throws StowageError `E_CONFIG_INVALID` naming `origin` and the file.
 */
export function readCaBundle(
  file: string,
  origin: string,
  homeDir: string,
  cwd: string = process.cwd(),
): string {
  let text: string;
  try {
    text = readFileSync(
      file.startsWith('~/') ? path.join(homeDir, file.slice(2)) : path.resolve(cwd, file),
      'latin1',
    );
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${origin}: cannot read the CA bundle ${file} (${e.code ?? e.message})`,
      { details: { file } },
    );
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${origin}: the CA bundle ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      { details: { file } },
    );
  }
  for (const [i, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new StowageError(
        'E_CONFIG_INVALID',
        `${origin}: certificate ${i + 1} of the CA bundle ${file} is not a valid PEM certificate`,
        { details: { file } },
      );
    }
  }
  return certificates.join('\n');
}

/**
 * The certificates of the `NODE_EXTRA_CA_CERTS` file, which Node trusts by default; none
 * when it is unset or cannot be read (Node itself only warns then).
 */
export function extraCaCertificates(file: string | undefined): string[] {
  if (!file) return [];
  try {
    return readFileSync(file, 'latin1').match(PEM_CERTIFICATE) ?? [];
  } catch {
    return [];
  }
}

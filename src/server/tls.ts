/**
 * The TLS certificate and key of `stowage serve` (server.tls.certFile / keyFile), read
 * and checked before anything starts, so a bad file is one clear E_CONFIG_INVALID that
 * names the config key and the path, never a stack trace.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { StowageError } from '../errors.js';

/** server.tls as configured (paths already resolved). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** PEM contents ready for `https.createServer`. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

function invalid(message: string, cause: unknown): StowageError {
  return new StowageError('E_CONFIG_INVALID', message, { cause });
}

/** Why a file could not be read, without Node's "ENOENT: …, open '<path>'" wrapping. */
function readFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a directory';
  return e.message;
}

function read(field: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw invalid(`cannot read ${field} ${file}: ${readFailure(err)}`, err);
  }
}

/**
 * Reads and checks the certificate chain and private key: each must parse as PEM, and the
 * key must belong to the certificate.
 *
 * @example
 * const { cert, key } = loadTlsMaterial({ certFile: 'tls/cert.pem', keyFile: 'tls/key.pem' });
 * https.createServer({ cert, key }, listener);
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = read('server.tls.certFile', files.certFile);
  const key = read('server.tls.keyFile', files.keyFile);
  try {
    createSecureContext({ cert });
  } catch (err) {
    throw invalid(
      `server.tls.certFile ${files.certFile} is not a PEM certificate (${(err as Error).message})`,
      err,
    );
  }
  try {
    createSecureContext({ key });
  } catch (err) {
    throw invalid(
      `server.tls.keyFile ${files.keyFile} is not an unencrypted PEM private key (${(err as Error).message})`,
      err,
    );
  }
  const mismatch = (why: string, err?: unknown): StowageError =>
    invalid(
      `server.tls.keyFile ${files.keyFile} does not match server.tls.certFile ${files.certFile} (${why})`,
      err,
    );
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw mismatch((err as Error).message, err);
  }
  // OpenSSL compares a key with the certificate only when both are of one type: an RSA key
  // beside an EC certificate passed, and every handshake then failed. The certificate's
  // public key must be the key's.
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw mismatch((err as Error).message, err);
  }
  if (!matches) throw mismatch('the certificate is for another key');
  return { cert, key };
}

/**
 * What is wrong with when `cert` is valid at `now`, or undefined. An expired certificate
 * is served (renewal may be on its way) but every client refuses it, so the start says so.
 */
export function certificateValidity(cert: Buffer, now: number): string | undefined {
  const x509 = new X509Certificate(cert);
  const from = Date.parse(x509.validFrom);
  const to = Date.parse(x509.validTo);
  if (now > to) {
    return `the certificate expired on ${new Date(to).toISOString()}: clients refuse it until it is renewed`;
  }
  if (now < from) {
    return `the certificate is valid only from ${new Date(from).toISOString()}: clients refuse it until then (is this machine's clock right?)`;
  }
  return undefined;
}

/** `stowage serve`: the S3 endpoint over the embedded store. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { startServer, type RunningServer } from '../../server/start.js';
import type { CliContext } from '../context.js';

/**
 * The certificate file to trust, when the server's certificate is self-signed (a client
 * then needs it as its CA bundle); undefined for one a CA issued, or no TLS.
 */
function selfSignedCertificate(certFile: string | undefined): string | undefined {
  if (certFile === undefined) return undefined;
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    return cert.checkIssued(cert) ? certFile : undefined;
  } catch {
    return undefined; // the server read it at start; a reader's hint is not worth failing for
  }
}

/** `text` as one shell word, in single quotes. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function banner(
  s: RunningServer,
  dataDir: string,
  region: string,
  certFile: string | undefined,
): string {
  const selfSigned = selfSignedCertificate(certFile);
  const c = s.credentials;
  const secretLine =
    c.source === 'generated'
      ? `Root secret key:  ${c.secretAccessKey}\n                  (shown once; kept in ${dataDir}/credentials.json, mode 0600)`
      : c.source === 'data-dir'
        ? `Root secret key:  in ${dataDir}/credentials.json`
        : 'Root secret key:  from the configuration (STOWAGE_ROOT_SECRET_KEY or server.rootSecretAccessKey)';
  // Every line pastes into a shell as it is: a later start reads the secret from the file
  // (with node, which runs this), a configured one is the operator's to fill in.
  const secretExport =
    c.source === 'generated'
      ? `  export AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`
      : c.source === 'data-dir'
        ? `  export AWS_SECRET_ACCESS_KEY="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).secretAccessKey' ${shellQuote(`${dataDir}/credentials.json`)})"`
        : '  # export AWS_SECRET_ACCESS_KEY=…   (the secret configured for the server)';
  return [
    `Stowage S3 endpoint: ${s.url}`,
    `Data directory:      ${dataDir}`,
    `Root access key:  ${c.accessKeyId}`,
    secretLine,
    '',
    'To use it from a shell:',
    `  export AWS_ACCESS_KEY_ID=${c.accessKeyId}`,
    secretExport,
    `  export AWS_DEFAULT_REGION=${region}`,
    `  export AWS_ENDPOINT_URL=${s.url}`,
    ...(selfSigned
      ? [`  export AWS_CA_BUNDLE=${selfSigned}   # the certificate is self-signed`]
      : []),
    `  aws --endpoint-url ${s.url} s3 ls`,
    '',
  ].join('\n');
}

/** Registers `stowage serve`. */
export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'run the S3-compatible endpoint over the data directory (Ctrl-C or SIGTERM stops it)',
    )
    .option('--address <address>', 'address to bind (default 127.0.0.1: loopback only)')
    .option('--port <port>', 'TCP port (default 9000; 0 picks a free one)')
    .action(async (o: { address?: string; port?: string }) => {
      const { config } = await ctx.resolvedConfig({ address: o.address, port: o.port });
      const logger = await ctx.logger();
      const server = await startServer(config, logger);
      // The handlers go in before the start-up message: a supervisor (or a test) that
      // sends SIGTERM as soon as it reads the message must not meet the default action,
      // which ends the process without a graceful shutdown.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          logger.info({ signal }, 'shutting down: finishing in-flight requests');
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      const out = ctx.output();
      out.result(
        {
          url: server.url,
          dataDir: config.dataDir,
          region: config.server.region,
          accessKeyId: server.credentials.accessKeyId,
          // Shown once, on the start that generated it; the name keeps it out of the
          // secret-redaction list on purpose (the text banner shows it too).
          ...(server.credentials.source === 'generated'
            ? { secretAccessKeyShownOnce: server.credentials.secretAccessKey }
            : {}),
        },
        () => banner(server, config.dataDir, config.server.region, config.server.tls?.certFile),
      );
      await stopped;
      await server.close();
      logger.info('stopped');
    });
}

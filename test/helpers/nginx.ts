/**
 * nginx (Debian's package) as the TLS-terminating reverse proxy studios put in front of
 * `stowage serve`, with the configuration docs/serve.md ("Behind a reverse proxy")
 * recommends. It runs in the foreground under a directory of its own and is killed by
 * `close()`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from './peers.js';
import { freePort, isListeningOn, waitUntil } from './rgw-support.js';

export const NGINX = '/usr/sbin/nginx';

export interface NginxProxy {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts nginx on 127.0.0.1 with TLS (`cert`, `key`), proxying to `upstream`
 * (`127.0.0.1:9000`). Its connections to the upstream come from `bindAddress` (a loopback
 * address of their own, so that a test can tell the proxy from its clients).
 */
export async function startNginx(options: {
  dir: string;
  upstream: string;
  cert: string;
  key: string;
  bindAddress?: string;
  /** nginx's proxy_read_timeout (its default, 60 s, when absent), e.g. `200ms`. */
  readTimeout?: string;
}): Promise<NginxProxy> {
  ensureDebianPackages({ [NGINX]: 'nginx' });
  const dir = options.dir;
  for (const sub of ['logs', 'tmp']) mkdirSync(path.join(dir, sub), { recursive: true });
  const port = await freePort();
  const temp = (name: string): string => `${name}_temp_path ${path.join(dir, 'tmp', name)};`;
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `user root;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'logs', 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${options.cert};
    ssl_certificate_key ${options.key};
    # As docs/serve.md recommends: any body size, streamed both ways, the Host as sent.
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    ${options.readTimeout ? `proxy_read_timeout ${options.readTimeout};` : ''}
    location / {
      proxy_pass http://${options.upstream};
      ${options.bindAddress ? `proxy_bind ${options.bindAddress};` : ''}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  );
  let log = '';
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitUntil(`nginx listening on ${port}`, 5000, () => {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${log}`);
    return isListeningOn(child.pid!, port);
  });
  return {
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

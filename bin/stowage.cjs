#!/usr/bin/env node
// The installed `stowage` command: a thin shim over the compiled CLI in dist/.
// File I/O and fsync run on libuv's thread pool, whose default of 4 threads limits a
// server doing many small fsynced writes. The pool starts on its first use, and the ESM
// loader uses it: this entry is CommonJS so the size is set before anything is loaded.
'use strict';
process.env.UV_THREADPOOL_SIZE ??= '16';
// The AWS SDK warns on every run under Node 20 that its 2027 releases will need Node 22:
// advice for whoever upgrades the SDK in this project, not for someone running a command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `stowage ls | head`: once the reader has gone, stop quietly with the status of a tool
// killed by SIGPIPE (Node ignores the signal, so the write fails with EPIPE instead).
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(141);
  // Standard output that cannot be written (a full disk, EIO): say so in one line, as for
  // any other failure, not with a stack trace.
  process.stderr.write(`stowage: cannot write to standard output: ${err && err.message}\n`);
  process.exit(1);
});
// dist/bundle/ is dist/cli/ bundled with its dependencies (tools/bundle-cli.mjs): it loads in
// half the time of the ~600 module files it replaces.
import('../dist/bundle/main.js').then(
  async (main) => {
    process.exitCode = await main.run(process.argv.slice(2));
  },
  (err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist')) {
      process.stderr.write('stowage: dist/ is missing; run `npm run build` first\n');
      process.exitCode = 1;
      return;
    }
    throw err;
  },
);

#!/usr/bin/env node
// The installed `stowage` command: a thin shim over the compiled CLI in dist/.
// File I/O and fsync run on libuv's thread pool; its default of 4 threads limits a
// server doing many small fsynced writes. It must be set before the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= '16';
const main = await import('../dist/cli/main.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist')) {
    process.stderr.write('stowage: dist/ is missing; run `npm run build` first\n');
    return undefined;
  }
  throw err;
});
process.exitCode = main ? await main.run(process.argv.slice(2)) : 1;

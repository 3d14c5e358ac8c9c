#!/usr/bin/env node
// The installed `stowage` command: a thin shim over the compiled CLI in dist/.
const main = await import('../dist/cli/main.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist')) {
    process.stderr.write('stowage: dist/ is missing; run `npm run build` first\n');
    return undefined;
  }
  throw err;
});
process.exitCode = main ? await main.run(process.argv.slice(2)) : 1;

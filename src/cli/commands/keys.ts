/**
 * `stowage keys …`: access keys beyond root for `stowage serve`. They live in
 * `<dataDir>/access-keys.json`, which a running server re-reads, so no restart is needed.
 * The engine's LOCK is not taken: these commands work while a server runs.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { databaseFile } from '../../data-dir.js';
import { StowageError } from '../../errors.js';
import {
  createAccessKey,
  deleteAccessKey,
  listAccessKeys,
  setAccessKeyPolicy,
  showAccessKey,
  type KeyScope,
  type KeySummary,
} from '../../server/keys/manage.js';
import { checkPolicy } from '../../server/keys/record.js';
import { keyStoreFile } from '../../server/keys/store.js';
import type { CliContext, CliIo } from '../context.js';

async function scopeOf(ctx: CliContext): Promise<KeyScope> {
  const config = await ctx.config();
  return { dataDir: config.dataDir, declared: config.server.accessKeys ?? [] };
}

async function readStdin(stdin: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads and validates a policy from a file, or from stdin when `source` is `-`. S3 actions
 * that do not exist are accepted, as IAM accepts them, with a warning on stderr: they
 * match no request, so a typo in an Allow grants nothing and in a Deny denies nothing.
 */
async function readPolicy(source: string, ctx: CliContext): Promise<string> {
  const origin = source === '-' ? 'policy from stdin' : `policy file ${source}`;
  const { text, unrecognizedActions } = checkPolicy(await readPolicyText(source, ctx.io), origin);
  if (unrecognizedActions.length > 0 && !ctx.globals().quiet) {
    ctx.io.stderr.write(
      `warning: ${origin} names S3 actions that do not exist, which match no request: ${unrecognizedActions.join(', ')}\n`,
    );
  }
  return text;
}

/** The text of a policy file, or of stdin when `source` is `-`. */
async function readPolicyText(source: string, io: CliIo): Promise<string> {
  let text: string;
  try {
    text =
      source === '-'
        ? await readStdin(io.stdin)
        : await readFile(path.resolve(io.cwd, source), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new StowageError('E_INVALID_ARGUMENT', `cannot read policy file ${source}: ${why}`, {
      cause: err,
      details: { file: source },
    });
  }
  return text;
}

function listText(keys: KeySummary[], dataDir: string): string {
  if (keys.length === 0) {
    // An existing directory no server has used is likely the wrong one (a typo that exists).
    const unused = !existsSync(databaseFile(dataDir));
    return [
      `no access keys in ${dataDir}`,
      unused ? ', which no stowage serve has used yet: is it the right data directory?' : '',
      ' (create one with `stowage keys create --name NAME`)',
    ].join('');
  }
  const rows = [
    ['NAME', 'ACCESS KEY ID', 'CREATED', 'POLICY', 'SOURCE'],
    ...keys.map((k) => [
      k.name,
      k.accessKeyId,
      k.created ?? '-',
      k.hasPolicy ? 'yes' : 'no',
      k.source,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A key for `--json`: the policy as a JSON value rather than text. */
function summaryJson(k: KeySummary): Record<string, unknown> {
  return { ...k, policy: k.policy === null ? null : (JSON.parse(k.policy) as unknown) };
}

function showText(k: KeySummary): string {
  return [
    `Name:           ${k.name}`,
    `Access key id:  ${k.accessKeyId}`,
    `Created:        ${k.created ?? '-'}`,
    `Source:         ${k.source === 'file' ? 'access-keys.json' : 'config (server.accessKeys)'}`,
    k.policy === null
      ? 'Policy:         none (the key may do only what bucket policies allow)'
      : 'Policy:',
    ...(k.policy === null ? [] : [JSON.stringify(JSON.parse(k.policy), null, 2)]),
  ].join('\n');
}

/**
 * Registers `stowage keys` and its verbs.
 *
 * @example
 * registerKeysCommands(program, ctx); // stowage keys create --name ci-sync --policy policy.json
 */
export function registerKeysCommands(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description('manage access keys of `stowage serve` (a running server sees changes at once)');

  keys
    .command('create')
    .description('create an access key; its secret is printed once')
    .requiredOption('--name <name>', 'key name (IAM user-name rules: 1-64 of A-Za-z0-9+=,.@_-)')
    .option('--policy <file>', 'IAM identity policy JSON file, or - for stdin')
    .action(async (o: { name: string; policy?: string }) => {
      const scope = await scopeOf(ctx);
      const policy = o.policy === undefined ? null : await readPolicy(o.policy, ctx);
      const key = await createAccessKey(scope, { name: o.name, policy });
      const out = ctx.output();
      if (out.json) {
        // Written directly: the output helper would redact the secret, which is the point here.
        ctx.io.stdout.write(
          `${JSON.stringify(
            {
              name: key.name,
              accessKeyId: key.accessKeyId,
              secretAccessKey: key.secretAccessKey,
              created: key.created,
              hasPolicy: key.policy !== null,
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      out.result(key, (k) =>
        [
          `Created access key "${k.name}"${k.policy === null ? ' (no policy: it may do only what bucket policies allow)' : ''}`,
          `Access key id:     ${k.accessKeyId}`,
          `Secret access key: ${k.secretAccessKey}`,
          `                   (shown once; kept in ${keyStoreFile(scope.dataDir)}, mode 0600)`,
          '',
          'To use it from a shell:',
          `  export AWS_ACCESS_KEY_ID=${k.accessKeyId}`,
          `  export AWS_SECRET_ACCESS_KEY=${k.secretAccessKey}`,
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description('list access keys (never their secrets)')
    .action(async () => {
      const scope = await scopeOf(ctx);
      const list = await listAccessKeys(scope);
      const out = ctx.output();
      if (out.json) {
        out.result(list.map(({ policy: _policy, ...k }) => k));
      } else {
        out.result(list, (keys) => listText(keys, scope.dataDir));
      }
    });

  keys
    .command('show')
    .description('print one access key and its policy (never its secret)')
    .argument('<accessKeyId>')
    .action(async (id: string) => {
      const key = await showAccessKey(await scopeOf(ctx), id);
      const out = ctx.output();
      if (out.json) out.result(summaryJson(key));
      else out.result(key, showText);
    });

  keys
    .command('delete')
    .description('delete an access key; a running server refuses it from then on')
    .argument('<accessKeyId>')
    .action(async (id: string) => {
      const key = await deleteAccessKey(await scopeOf(ctx), id);
      ctx
        .output()
        .result(
          { deleted: key.accessKeyId, name: key.name },
          () => `deleted access key ${key.accessKeyId} ("${key.name}")`,
        );
    });

  keys
    .command('set-policy')
    .description("replace an access key's identity policy (file, or - for stdin)")
    .argument('<accessKeyId>')
    .argument('<file>', 'IAM identity policy JSON file, or - for stdin')
    .action(async (id: string, file: string) => {
      const scope = await scopeOf(ctx);
      const policy = await readPolicy(file, ctx);
      const key = await setAccessKeyPolicy(scope, id, policy);
      const out = ctx.output();
      if (out.json) out.result(summaryJson(key));
      else out.message(`set the policy of access key ${key.accessKeyId} ("${key.name}")`);
    });
}

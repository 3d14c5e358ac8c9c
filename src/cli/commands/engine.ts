/**
 * `stowage engine …`: direct access to the embedded store's data directory, without a
 * server. For inspection, scripting and demos; every verb maps to one engine call.
 */
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { engineOptionsFrom } from '../../config/engine-options.js';
import { requireDataDir } from '../../data-dir.js';
import { backupDataDir } from '../../engine/backup/backup.js';
import { Engine } from '../../engine/engine.js';
import type { ChecksumAlgorithm, ObjectInfo, RestoreTier } from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { parseDurationMs } from '../duration.js';
import { printable } from '../printable.js';
import { humanSize } from '../store-format.js';

/** Opens the configured data directory for one command and always closes it. */
async function withEngine<T>(
  ctx: CliContext,
  fn: (engine: Engine) => Promise<T> | T,
  { mustExist = false }: { mustExist?: boolean } = {},
): Promise<T> {
  const config = await ctx.config();
  // A mistyped --data-dir must not be created and then reported healthy.
  if (mustExist) await requireDataDir(config.dataDir, 'pass the --data-dir of the store to check');
  const engine = await Engine.open(engineOptionsFrom(config));
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Parses repeated `k=v` options into a record. */
function pairs(values: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const at = v.indexOf('=');
    if (at <= 0) throw new StowageError('E_USAGE', `${what} must look like key=value, got "${v}"`);
    out[v.slice(0, at)] = v.slice(at + 1);
  }
  return out;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** One line of `engine ls`; with `versions`, the version id and whether it is the latest. */
function objectLine(o: ObjectInfo, versions: boolean): string {
  const when = o.lastModified.toISOString();
  const what = versions
    ? ` (${o.isDeleteMarker ? 'delete marker' : 'version'} ${o.versionId}${o.isLatest ? ', latest' : ''})`
    : '';
  return `${when}  ${String(o.size).padStart(12)}  ${o.storageClass.padEnd(19)}  ${printable(o.key)}${what}`;
}

/** Registers `stowage engine` and its verbs. */
export function registerEngineCommands(program: Command, ctx: CliContext): void {
  const engine = program
    .command('engine')
    .description('work on the embedded store data directory directly (no server)');

  engine
    .command('mb')
    .description('create a bucket')
    .argument('<bucket>')
    .option('--region <region>', 'bucket region (LocationConstraint)')
    .action(async (bucket: string, o: { region?: string }) => {
      // The global --region (store commands) takes the flag wherever it is written.
      const region = o.region ?? (ctx.globals() as { region?: string }).region;
      const info = await withEngine(ctx, (e) => e.createBucket(bucket, { region }));
      ctx.output().result(info, (b) => `created bucket ${b.name} (${b.region})`);
    });

  engine
    .command('rb')
    .description('delete an empty bucket')
    .argument('<bucket>')
    .action(async (bucket: string) => {
      await withEngine(ctx, (e) => e.deleteBucket(bucket));
      ctx.output().result({ deleted: bucket }, () => `deleted bucket ${bucket}`);
    });

  engine
    .command('buckets')
    .description('list buckets')
    .action(async () => {
      const list = await withEngine(ctx, (e) => e.listBuckets());
      ctx
        .output()
        .result(list, (l) =>
          l
            .map(
              (b) =>
                `${b.createdAt.toISOString()}  ${b.region.padEnd(14)}  ${b.versioning.padEnd(11)}  ${b.name}`,
            )
            .join('\n'),
        );
    });

  engine
    .command('put')
    .description('store a file (or stdin with "-") as an object')
    .argument('<bucket>')
    .argument('<key>')
    .argument('<file>', 'path, or - for standard input')
    .option('--content-type <type>', 'Content-Type to store')
    .option('--cache-control <value>', 'Cache-Control to store')
    .option('--storage-class <class>', 'storage class (default STANDARD)')
    .option('--metadata <key=value>', 'user metadata (repeatable)', collect)
    .option('--tag <key=value>', 'object tag (repeatable)', collect)
    .option(
      '--checksum-algorithm <alg>',
      'also compute CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512, MD5, XXHASH64, XXHASH3 or XXHASH128',
    )
    .action(
      async (
        bucket: string,
        key: string,
        file: string,
        o: {
          contentType?: string;
          cacheControl?: string;
          storageClass?: string;
          metadata?: string[];
          tag?: string[];
          checksumAlgorithm?: string;
        },
      ) => {
        const source = path.resolve(ctx.io.cwd, file);
        const size = file === '-' ? undefined : (await statFile(source)).size;
        const body = file === '-' ? process.stdin : createReadStream(source);
        const r = await withEngine(ctx, (e) =>
          e.putObject(bucket, key, body, {
            contentLength: size,
            headers: { contentType: o.contentType, cacheControl: o.cacheControl },
            metadata: pairs(o.metadata, '--metadata'),
            tags: pairs(o.tag, '--tag'),
            storageClass: o.storageClass,
            checksumAlgorithm: o.checksumAlgorithm?.toUpperCase() as ChecksumAlgorithm | undefined,
          }),
        );
        ctx
          .output()
          .result(
            r,
            (x) =>
              `stored ${bucket}/${key}  ${x.size} bytes  etag ${x.etag}  version ${x.versionId}`,
          );
      },
    );

  engine
    .command('get')
    .description('write an object to a file (atomically) or to stdout')
    .argument('<bucket>')
    .argument('<key>')
    .argument('[file]', 'destination path (default: standard output)')
    .option('--version-id <id>', 'a specific version')
    .option('--range <bytes>', 'a byte range, e.g. bytes=0-99')
    .action(
      async (
        bucket: string,
        key: string,
        file: string | undefined,
        o: { versionId?: string; range?: string },
      ) => {
        await withEngine(ctx, async (e) => {
          const { body } = e.getObject(bucket, key, { versionId: o.versionId, range: o.range });
          if (file === undefined || file === '-') {
            for await (const chunk of body) ctx.io.stdout.write(chunk as unknown as string);
            return;
          }
          const dest = path.resolve(ctx.io.cwd, file);
          const tmp = `${dest}.stowage-${process.pid}.tmp`;
          try {
            await pipeline(body, createWriteStream(tmp));
            await fsp.rename(tmp, dest);
          } catch (err) {
            await fsp.rm(tmp, { force: true });
            throw err;
          }
        });
      },
    );

  engine
    .command('head')
    .description("show an object's metadata")
    .argument('<bucket>')
    .argument('<key>')
    .option('--version-id <id>', 'a specific version')
    .action(async (bucket: string, key: string, o: { versionId?: string }) => {
      const info = await withEngine(ctx, (e) =>
        e.headObject(bucket, key, { versionId: o.versionId }),
      );
      ctx.output().result(info);
    });

  engine
    .command('ls')
    .description('list objects (all pages), or versions with --versions')
    .argument('<bucket>')
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--delimiter <d>', 'roll keys up into common prefixes at this string')
    .option('--versions', 'list every version and delete marker')
    .action(
      async (bucket: string, o: { prefix?: string; delimiter?: string; versions?: boolean }) => {
        const { objects, prefixes } = await withEngine(ctx, (e) => listEverything(e, bucket, o));
        ctx
          .output()
          .result({ objects, commonPrefixes: prefixes }, () =>
            [
              ...prefixes.map((p) => `${' '.repeat(52)}PRE ${printable(p)}`),
              ...objects.map((obj) => objectLine(obj, o.versions === true)),
            ].join('\n'),
          );
      },
    );

  engine
    .command('rm')
    .description('delete an object (adds a delete marker in a versioned bucket) or one version')
    .argument('<bucket>')
    .argument('<key>')
    .option('--version-id <id>', 'delete exactly this version')
    .action(async (bucket: string, key: string, o: { versionId?: string }) => {
      const r = await withEngine(ctx, (e) =>
        e.deleteObject(bucket, key, { versionId: o.versionId }),
      );
      ctx
        .output()
        .result(
          r,
          (x) =>
            `deleted ${bucket}/${key}${x.deleteMarker ? ` (delete marker ${x.versionId})` : ''}`,
        );
    });

  engine
    .command('versioning')
    .description('show or set bucket versioning (Enabled or Suspended)')
    .argument('<bucket>')
    .argument('[state]', 'Enabled or Suspended')
    .action(async (bucket: string, state: string | undefined) => {
      const now = await withEngine(ctx, async (e) => {
        if (state !== undefined) await e.putBucketVersioning(bucket, state as 'Enabled');
        return e.getBucketVersioning(bucket);
      });
      ctx.output().result({ bucket, versioning: now }, (x) => `${x.bucket}: ${x.versioning}`);
    });

  engine
    .command('restore')
    .description('restore a GLACIER or DEEP_ARCHIVE object for some days')
    .argument('<bucket>')
    .argument('<key>')
    .requiredOption('--days <n>', 'days the restored copy stays readable')
    .option('--tier <tier>', 'Expedited, Standard or Bulk', 'Standard')
    .option('--version-id <id>', 'a specific version')
    .action(
      async (
        bucket: string,
        key: string,
        o: { days: string; tier: string; versionId?: string },
      ) => {
        const days = Number(o.days);
        const r = await withEngine(ctx, (e) =>
          e.restoreObject(bucket, key, {
            days,
            tier: o.tier as RestoreTier,
            versionId: o.versionId,
          }),
        );
        ctx
          .output()
          .result(
            r,
            (x) => `restore ${x.status}; readable from ${x.restore.completesAt.toISOString()}`,
          );
      },
    );

  const clock = engine
    .command('clock')
    .description("show or move the engine's clock (for demos and tests)");
  clock
    .command('show', { isDefault: true })
    .description('print engine time and the offset from the system clock')
    .action(async () => {
      const r = await withEngine(ctx, (e) => ({
        now: new Date(e.now()).toISOString(),
        offsetMs: e.clockOffset,
      }));
      ctx.output().result(r, (x) => `${x.now} (offset ${x.offsetMs} ms)`);
    });
  clock
    .command('advance')
    .description('move engine time forward, e.g. 5h, 90m, 2d')
    .argument('<duration>')
    .action(async (duration: string) => {
      const ms = parseDurationMs(duration);
      const r = await withEngine(ctx, async (e) => ({
        offsetMs: await e.advanceClock(ms),
        now: new Date(e.now()).toISOString(),
      }));
      ctx.output().result(r, (x) => `engine time is now ${x.now} (offset ${x.offsetMs} ms)`);
    });

  engine
    .command('compact')
    .description(
      "give the metadata database's free pages (left by deleted small objects) back to the file system",
    )
    .action(async () => {
      const r = await withEngine(ctx, (e) => e.compact(), { mustExist: true });
      ctx
        .output()
        .result(
          r,
          (x) => `compacted the metadata database: ${x.beforeBytes} -> ${x.afterBytes} bytes`,
        );
    });

  engine
    .command('backup')
    .description(
      'copy the data directory to another directory, while a server may be using it; a second backup to the same directory copies only what changed',
    )
    .argument('<destination>', 'backup directory: new, empty, or an earlier backup')
    .action(async (destination: string) => {
      const config = await ctx.config();
      await requireDataDir(config.dataDir, 'pass the --data-dir of the store to back up');
      const r = await backupDataDir(config.dataDir, destination);
      ctx
        .output()
        .result(r, (x) =>
          [
            `backed up ${x.source} to ${x.destination}: ${x.versions} versions, ${x.blobs} blob files (${x.blobsCopied} copied, ${humanSize(x.bytesCopied)}; ${x.blobsKept} kept from the previous backup; ${x.blobsRemoved} removed) in ${(x.durationMs / 1000).toFixed(1)} s` +
              (x.snapshots > 1
                ? ` (${x.snapshots} snapshots: the store changed during the copy)`
                : ''),
            ...(x.missing.length > 0
              ? [
                  `PROBLEMS FOUND: ${x.missing.length} blob files the metadata names are missing from ${x.source} (not found there, nor moved aside by a server during the copy; run stowage engine check on it):`,
                  ...x.missing.slice(0, 20).map((id) => `  missing-blob: ${id}`),
                ]
              : []),
          ].join('\n'),
        );
      if (r.missing.length > 0) ctx.exitCode = 5;
    });

  engine
    .command('check')
    .description('check the data directory: database integrity, blobs present, no orphans')
    .option('--deep', 'also re-hash every blob against its SHA-256')
    .action(async (o: { deep?: boolean }) => {
      // Opening a data directory left by a crash recovers it first (as `serve` does): the
      // report says so, since the next `serve` will find nothing left to recover.
      const report = await withEngine(
        ctx,
        async (e) => ({ ...(await e.check({ deep: o.deep })), recovery: e.recovery }),
        { mustExist: true },
      );
      ctx
        .output()
        .result(report, (r) =>
          [
            ...(r.recovery.uncleanShutdown
              ? [
                  `recovered first from an unclean shutdown: ${r.recovery.tmpFilesRemoved} temporary files and ${r.recovery.orphanBlobsRemoved} unreferenced blobs removed`,
                ]
              : []),
            `${r.ok ? 'ok' : 'PROBLEMS FOUND'}: ${r.objectsChecked} versions, ${r.blobsChecked} blobs checked`,
            ...r.problems.map((p) => `  ${p.kind}: ${p.message}`),
          ].join('\n'),
        );
      if (!report.ok) ctx.exitCode = 5;
    });
}

async function statFile(file: string): Promise<{ size: number }> {
  try {
    return await fsp.stat(file);
  } catch (err) {
    throw new StowageError('E_USAGE', `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

async function listEverything(
  e: Engine,
  bucket: string,
  o: { prefix?: string; delimiter?: string; versions?: boolean },
): Promise<{ objects: ObjectInfo[]; prefixes: string[] }> {
  const objects: ObjectInfo[] = [];
  const prefixes: string[] = [];
  if (o.versions) {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page = e.listObjectVersions(bucket, {
        prefix: o.prefix,
        delimiter: o.delimiter,
        keyMarker,
        versionIdMarker,
      });
      objects.push(...page.versions);
      prefixes.push(...page.commonPrefixes);
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker;
      versionIdMarker = page.nextVersionIdMarker;
    }
  } else {
    let token: string | undefined;
    for (;;) {
      const page = e.listObjects(bucket, {
        prefix: o.prefix,
        delimiter: o.delimiter,
        continuationToken: token,
      });
      objects.push(...page.objects);
      prefixes.push(...page.commonPrefixes);
      if (!page.isTruncated) break;
      token = page.nextContinuationToken;
    }
  }
  return { objects, prefixes };
}

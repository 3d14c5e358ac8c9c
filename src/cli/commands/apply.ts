/**
 * `stowage apply`: makes the declared buckets so. It plans first, shows the plan, asks for
 * confirmation (or takes --yes), then changes the stores in a safe order and prints what it
 * did. A failure stops its bucket and the buckets that depend on it, naming the bucket,
 * the sub-resource and what was already applied to it; the other buckets go on. A bucket
 * is never deleted.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import {
  applyFailureMessages,
  applyPlan,
  type AppliedStep,
  type ApplyResult,
} from '../../bucketconfig/apply.js';
import { planBuckets } from '../../bucketconfig/plan.js';
import { EXIT, StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { bucketSessions, desiredForRun, formatPlan } from './plan.js';

interface ApplyFlags {
  bucket?: string;
  yes?: boolean;
  dryRun?: boolean;
  prune?: boolean;
}

function stepText(s: AppliedStep, dryRun: boolean): string {
  const verb = { create: 'created', update: 'updated', remove: 'removed' }[s.action];
  const what = s.subResource === 'bucket' ? `bucket ${s.bucket}` : `${s.bucket} ${s.subResource}`;
  return dryRun ? `would ${s.action}: ${what}` : `${verb}: ${what}`;
}

/** Asks on the terminal; only called when both stdin and stdout are TTYs. */
async function confirm(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('Apply these changes? Only "yes" is accepted: ');
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

function summary(result: ApplyResult, dryRun: boolean): string {
  const lines: string[] = [];
  for (const e of result.errors) {
    lines.push(`error: bucket "${e.bucket}", ${e.subResource}: ${e.error.message}`);
  }
  const failures = applyFailureMessages(result);
  for (const line of failures) lines.push(`error: ${line}`);
  lines.push(
    `apply: ${result.applied.length} change(s) ${dryRun ? 'would be made (dry run)' : 'made'}, ${result.errors.length + failures.length} error(s)`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Registers `stowage apply`.
 *
 * @example
 * registerApplyCommand(program, ctx); // stowage apply --bucket ziggie-cloud-assets --yes
 */
export function registerApplyCommand(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('make the declared buckets so (creates missing buckets, never deletes one)')
    .option('--bucket <name>', 'apply only this declared bucket')
    .option('--yes', 'do not ask for confirmation')
    .option('--dry-run', 'show what would be done and change nothing')
    .option('--prune', 'also remove live sub-resources the file does not declare')
    .action(async (flags: ApplyFlags) => {
      const out = ctx.output();
      const dryRun = flags.dryRun === true;
      const tty = process.stdin.isTTY === true && ctx.io.stdout.isTTY === true;
      if (!flags.yes && !dryRun && !tty) {
        throw new StowageError(
          'E_USAGE',
          'apply changes the stores: pass --yes to confirm (or --dry-run to only show what it would do); stdin is not a terminal to ask',
        );
      }
      const desired = await desiredForRun(ctx);
      const { sessionFor, release } = bucketSessions(ctx);
      try {
        const plan = await planBuckets(sessionFor, desired, {
          bucket: flags.bucket,
          prune: flags.prune === true,
        });
        const pending = plan.buckets.some(
          (b) =>
            b.createBucket ||
            b.changes.some(
              (c) =>
                c.action === 'create' ||
                c.action === 'update' ||
                (c.action === 'remove' && c.prune === true),
            ),
        );
        if (!out.json) ctx.io.stdout.write(formatPlan(plan));
        if (pending && !flags.yes && !dryRun && !(await confirm())) {
          throw new StowageError('E_USAGE', 'apply cancelled: the answer was not "yes"');
        }
        const result = await applyPlan(sessionFor, plan, desired, {
          prune: flags.prune === true,
          dryRun,
          onStep: (s) => out.message(stepText(s, dryRun)),
        });
        if (result.failures.length + result.notApplied.length + result.errors.length > 0)
          ctx.exitCode = EXIT.internal;
        if (out.json) {
          out.result({ ok: ctx.exitCode === EXIT.ok, dryRun, plan, ...result });
        } else {
          const text = summary(result, dryRun);
          (ctx.exitCode === EXIT.ok ? ctx.io.stdout : ctx.io.stderr).write(text);
        }
      } finally {
        release();
      }
    });
}

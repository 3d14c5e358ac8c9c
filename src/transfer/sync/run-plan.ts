/**
 * Executes a plan through caller-supplied handlers, with bounded concurrency and
 * per-item results (STYLE.md: batch work returns ok/failed/skipped and a summary; a
 * failed item never stops the rest).
 *
 * Deletions run only after every transfer has finished, and not at all when a transfer
 * failed (as rclone does: a destination is never pruned on the strength of a run that
 * did not manage to copy everything). A `delete-blocked` action fails the run with
 * E_MAX_DELETE_EXCEEDED.
 *
 * A transfer whose handler rejects with `details.retryAfterDeletions` (a download blocked
 * by a local folder the deletions may empty) is not counted yet: it runs once more after
 * the deletions, and that outcome is the one recorded.
 *
 * An error every other item would meet too ({@link RUN_ENDING_CODES}: no such bucket, a key
 * or secret the store does not take, a store that cannot be reached), met before any item
 * succeeded, ends the run as its `error`: no new item starts, and the items that meet it
 * too are not counted, so a run that could not work at all reads as such (its exit code is
 * the error's), not as N failed items.
 */
import { StowageError, toStowageError } from '../../errors.js';
import type { SyncAction, SyncDirection, TransferAction } from './types.js';

/** What a handler may report back. */
export interface HandlerOutcome {
  /** Bytes moved; defaults to the source entry's size. */
  bytes?: number;
}

/**
 * The side effects of a sync. Each handler MUST either complete its item (resolve) or
 * reject with the reason; a rejection fails that item only. A transfer handler MAY reject
 * with a StowageError whose `details.retryAfterDeletions` is true when the plan's deletions
 * could remove what blocks it; it is then called once more after them. Handlers for the
 * kinds a plan never yields may be left out.
 */
export interface SyncHandlers {
  upload?(action: TransferAction): Promise<HandlerOutcome | void>;
  download?(action: TransferAction): Promise<HandlerOutcome | void>;
  copy?(action: TransferAction): Promise<HandlerOutcome | void>;
  delete?(action: Extract<SyncAction, { kind: 'delete' }>): Promise<void>;
  /**
   * Deletes many keys in one go (S3's DeleteObjects); when given, runPlan uses it instead of
   * `delete`, with up to {@link DELETE_BATCH} actions per call. It MUST resolve one entry per
   * action, in order: undefined when deleted, else the reason it was not. A rejection fails
   * every action of the call.
   */
  deleteMany?(
    actions: ReadonlyArray<Extract<SyncAction, { kind: 'delete' }>>,
  ): Promise<Array<StowageError | undefined>>;
}

/** Errors that would fail every item of a run alike (see the module comment). */
export const RUN_ENDING_CODES: ReadonlySet<string> = new Set([
  'E_NO_SUCH_BUCKET',
  'E_INVALID_ACCESS_KEY_ID',
  'E_SIGNATURE_DOES_NOT_MATCH',
  'E_NETWORK',
]);

/** Most deletions handed to one `deleteMany` call (S3's DeleteObjects limit). */
export const DELETE_BATCH = 1000;

type DeleteAction = Extract<SyncAction, { kind: 'delete' }>;

/** The outcome of one action. */
export interface ItemResult {
  key: string;
  action: SyncDirection | 'delete' | 'skip' | 'error';
  status: 'ok' | 'failed' | 'skipped';
  /** Why it was planned (transfers) or skipped. */
  reason?: string;
  error?: StowageError;
  bytes?: number;
  /** True when `dryrun` kept the action from running. */
  dryrun?: boolean;
}

/** Counts for a run. */
export interface SyncSummary {
  uploaded: number;
  downloaded: number;
  copied: number;
  deleted: number;
  skipped: number;
  failed: number;
  bytes: number;
  durationMs: number;
  dryrun: boolean;
  /** Set when --max-delete blocked the deletions: how many there would have been. */
  wouldDelete?: number;
}

/** A summary with nothing counted yet. */
export function emptySummary(dryrun: boolean): SyncSummary {
  return {
    uploaded: 0,
    downloaded: 0,
    copied: 0,
    deleted: 0,
    skipped: 0,
    failed: 0,
    bytes: 0,
    durationMs: 0,
    dryrun,
  };
}

/** Options for {@link runPlan}. */
export interface RunPlanOptions {
  /** Handlers running at once. Default 8. */
  concurrency?: number;
  /** Report the plan without calling any handler (`--dryrun`). */
  dryrun?: boolean;
  /** Called once per action, in completion order (for progress and printing). */
  onResult?: (result: ItemResult) => void;
  /** Keep every result in `results` (tests, small runs). Default false: memory stays bounded. */
  keepResults?: boolean;
  /** Failed items kept in `failures`. Default 1,000 (all are counted and passed to onResult). */
  maxFailuresKept?: number;
}

/** The result of a run. */
export interface RunPlanResult {
  summary: SyncSummary;
  failures: ItemResult[];
  results?: ItemResult[];
  /**
   * A failure of the run as a whole: --max-delete, the plan itself failing, or an error every
   * item would meet, met before any item succeeded.
   */
  error?: StowageError;
  /** 0 when everything succeeded; the error's exit code; 1 when items failed. */
  exitCode: number;
}

const COUNTER = {
  upload: 'uploaded',
  download: 'downloaded',
  copy: 'copied',
  delete: 'deleted',
} as const;

/**
 * Runs `actions` (usually from {@link planSync}).
 *
 * @example
 * const result = await runPlan(planSync(opts), {
 *   upload: (a) => uploadFile(client, a.source.path!, bucket, prefix + a.key),
 *   delete: (a) => deleteObject(client, bucket, prefix + a.key),
 * }, { concurrency: 16, onResult: print });
 * process.exitCode = result.exitCode;
 */
export async function runPlan(
  actions: AsyncIterable<SyncAction>,
  handlers: SyncHandlers,
  options: RunPlanOptions = {},
): Promise<RunPlanResult> {
  const started = Date.now();
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const dryrun = options.dryrun ?? false;
  const keepFailures = options.maxFailuresKept ?? 1000;
  const summary = emptySummary(dryrun);
  const failures: ItemResult[] = [];
  const results: ItemResult[] | undefined = options.keepResults ? [] : undefined;
  let error: StowageError | undefined;
  const inflight = new Set<Promise<void>>();
  let transfersSettled = false;

  /** Set when a run-ending error was met before any success: nothing new starts. */
  let ended = false;
  const succeeded = (): number =>
    summary.uploaded + summary.downloaded + summary.copied + summary.deleted;

  const record = (r: ItemResult): void => {
    const code = r.error?.code ?? '';
    if (r.status === 'failed' && r.action !== 'error' && RUN_ENDING_CODES.has(code)) {
      if (!ended && succeeded() === 0) {
        ended = true;
        error ??= r.error;
      }
      // The same error on the items that were in flight with it: part of the run's error.
      if (ended && error?.code === code) return;
    }
    if (r.status === 'failed') {
      summary.failed++;
      if (failures.length < keepFailures) failures.push(r);
    } else if (r.status === 'skipped') {
      summary.skipped++;
    } else if (r.action in COUNTER) {
      summary[COUNTER[r.action as keyof typeof COUNTER]]++;
      summary.bytes += r.bytes ?? 0;
    }
    results?.push(r);
    options.onResult?.(r);
  };

  /** The outcome of `action`, or undefined when it waits for the deletions. */
  const execute = async (
    action: TransferAction | Extract<SyncAction, { kind: 'delete' }>,
  ): Promise<ItemResult | undefined> => {
    const base = {
      key: action.key,
      action: action.kind,
      ...(action.kind !== 'delete' ? { reason: action.reason } : {}),
    };
    const bytes = action.kind === 'delete' ? 0 : action.source.sizeBytes;
    if (dryrun) return { ...base, status: 'ok', bytes, dryrun: true };
    const handler = handlers[action.kind] as
      ((a: typeof action) => Promise<HandlerOutcome | void>) | undefined;
    if (!handler) {
      const e = new StowageError(
        'E_INVALID_ARGUMENT',
        `no ${action.kind} handler was given to runPlan`,
      );
      return { ...base, status: 'failed', error: e };
    }
    try {
      const outcome = await handler(action);
      return { ...base, status: 'ok', bytes: outcome?.bytes ?? bytes };
    } catch (err) {
      const e = toStowageError(err, `${action.kind} ${JSON.stringify(action.key)}`);
      // Once only: the second try is recorded whatever it meets.
      const first = action.kind !== 'delete' && !afterDeletions.has(action);
      if (first && e.details.retryAfterDeletions === true) {
        afterDeletions.add(action);
        return undefined;
      }
      return { ...base, status: 'failed', error: e };
    }
  };
  /** Transfers to run again once the deletions are done (see the module comment). */
  const afterDeletions = new Set<TransferAction>();
  /** Runs `action` within the concurrency budget and records its outcome. */
  const start = async (action: TransferAction | DeleteAction): Promise<void> => {
    while (inflight.size >= concurrency) await Promise.race(inflight);
    if (ended) return;
    const p: Promise<void> = execute(action).then((r) => r && record(r));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  let deletes: DeleteAction[] = [];
  /** Failures of the transfers, counted when the first deletion comes. */
  let failedTransfers: number | undefined;
  /** Runs the gathered deletions as one `deleteMany` call, in the concurrency budget. */
  const flushDeletes = async (): Promise<void> => {
    if (deletes.length === 0) return;
    const batch = deletes;
    deletes = [];
    while (inflight.size >= concurrency) await Promise.race(inflight);
    const p: Promise<void> = (async () => {
      let verdicts: Array<StowageError | undefined>;
      try {
        verdicts = await handlers.deleteMany!(batch);
      } catch (err) {
        const e = toStowageError(err, `delete of ${batch.length} object(s)`);
        verdicts = batch.map(() => e);
      }
      batch.forEach((a, i) => {
        const e = verdicts[i];
        record(
          e
            ? { key: a.key, action: 'delete', status: 'failed', error: e }
            : { key: a.key, action: 'delete', status: 'ok', bytes: 0 },
        );
      });
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const settleTransfers = async (): Promise<void> => {
    if (transfersSettled) return;
    await Promise.all(inflight);
    transfersSettled = true;
  };

  try {
    for await (const action of actions) {
      if (ended) break;
      switch (action.kind) {
        case 'skip':
          record({ key: action.key, action: 'skip', status: 'skipped', reason: action.reason });
          break;
        case 'error':
          record({ key: action.key, action: 'error', status: 'failed', error: action.error });
          break;
        case 'delete-blocked':
          await settleTransfers();
          if (ended) break;
          summary.wouldDelete = action.wouldDelete;
          error = new StowageError(
            'E_MAX_DELETE_EXCEEDED',
            `the sync would delete ${action.wouldDelete} objects, more than --max-delete ${action.maxDelete}; nothing was deleted`,
            { details: { wouldDelete: action.wouldDelete, maxDelete: action.maxDelete } },
          );
          break;
        default: {
          if (action.kind === 'delete') {
            await settleTransfers();
            if (ended) break;
            // Judged once, when the transfers are done: a failed deletion does not stop the others.
            // A dry run judges the same way, so that it lists only what the real run would
            // delete (items that fail before any transfer, such as an unreadable file, fail
            // in a dry run too).
            failedTransfers ??= summary.failed;
            if (failedTransfers > 0) {
              record({
                key: action.key,
                action: 'delete',
                status: 'skipped',
                reason: `not deleted: ${failedTransfers} item(s) failed in this run`,
              });
              break;
            }
            if (handlers.deleteMany && !dryrun) {
              deletes.push(action);
              if (deletes.length >= DELETE_BATCH) await flushDeletes();
              break;
            }
          }
          await start(action);
        }
      }
    }
    if (!ended) await flushDeletes();
    // Every transfer must have settled first: the last ones may still join the list.
    await Promise.all(inflight);
    for (const action of afterDeletions) await start(action);
  } catch (err) {
    error ??= toStowageError(err, 'planning the sync');
  }
  await Promise.all(inflight);
  summary.durationMs = Date.now() - started;
  const exitCode = error ? error.exitCode || 1 : summary.failed > 0 ? 1 : 0;
  return {
    summary,
    failures,
    ...(results ? { results } : {}),
    ...(error ? { error } : {}),
    exitCode,
  };
}

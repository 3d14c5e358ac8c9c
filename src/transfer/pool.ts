/** A tiny bounded worker pool for the parts of one transfer. */

/**
 * Runs `task(item)` for every item with at most `concurrency` at once. The first failure
 * stops new tasks from starting, waits for the running ones, and is rethrown.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  const n = Math.max(1, Math.min(concurrency, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (failure) throw failure.err;
}

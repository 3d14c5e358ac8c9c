/**
 * One side of a merge: pulls items from a listing, checks they come in S3 key order, and
 * drops what the filters exclude. A listing out of order would make the merge call keys
 * missing that are merely late, and a `--delete` would then delete them: it is fatal.
 */
import { StowageError } from '../../errors.js';
import type { KeyFilter } from './filters.js';
import { compareKeys } from './key-order.js';
import type { ListedItem } from './types.js';

/** The key an item sorts by. */
export const keyOf = (item: ListedItem): string =>
  item.kind === 'entry' ? item.entry.key : item.key;

/** A listing read one item at a time, in checked order, filtered. */
export class OrderedSide {
  private readonly it: AsyncIterator<ListedItem>;
  private last: string | undefined;

  constructor(
    private readonly name: 'source' | 'destination',
    items: AsyncIterable<ListedItem>,
    private readonly filter: KeyFilter,
  ) {
    this.it = items[Symbol.asyncIterator]();
  }

  /**
   * The next item, or undefined at the end. Excluded entries are skipped. Subtree items
   * (an unreadable directory, a symlink not followed) are never dropped, since they shield
   * the other side's keys below them from deletion; `hidden` says the filters exclude
   * the item's own key, so it is not reported.
   */
  async next(): Promise<{ item: ListedItem; hidden: boolean } | undefined> {
    for (;;) {
      const r = await this.it.next();
      if (r.done) return undefined;
      const item = r.value;
      const key = keyOf(item);
      if (this.last !== undefined && compareKeys(key, this.last) < 0) {
        throw new StowageError(
          'E_INTERNAL',
          `the ${this.name} listing is not in S3 key order: ${JSON.stringify(key)} came after ${JSON.stringify(this.last)}; nothing was deleted`,
          { details: { key, previous: this.last } },
        );
      }
      this.last = key;
      const included = this.filter.includes(key);
      if (included) return { item, hidden: false };
      if (item.kind !== 'entry' && item.subtree) return { item, hidden: true };
    }
  }

  /** Ends the listing early (closes a walk's open directories, a listing's requests). */
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/**
 * The by-id collections: Intelligent-Tiering and inventory configurations. The canonical
 * value is the list of configurations sorted by Id; `write` puts every desired one and
 * deletes the live ones the list does not name.
 */
import {
  DeleteBucketIntelligentTieringConfigurationCommand,
  DeleteBucketInventoryConfigurationCommand,
  ListBucketIntelligentTieringConfigurationsCommand,
  ListBucketInventoryConfigurationsCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutBucketInventoryConfigurationCommand,
  type IntelligentTieringConfiguration,
  type InventoryConfiguration,
} from '@aws-sdk/client-s3';
import type { StoreSession } from '../ops/session.js';
import { liveCall, mustCall } from './calls.js';
import { sortBy, sortedList, type SubResource, type SubResourceName } from './contract.js';

interface ById<C extends { Id: string | undefined }> {
  name: SubResourceName;
  list(
    session: StoreSession,
    bucket: string,
    token?: string,
  ): Promise<{ items?: C[]; next?: string } | undefined>;
  put(session: StoreSession, bucket: string, item: C): Promise<unknown>;
  del(session: StoreSession, bucket: string, id: string): Promise<unknown>;
  normalizeOne(item: C): C;
}

/** A SubResource over a by-id collection. */
function byId<C extends { Id: string | undefined }>(spec: ById<C>): SubResource<C[]> {
  const sub: SubResource<C[]> = {
    name: spec.name,
    async read(session, bucket) {
      const all: C[] = [];
      let token: string | undefined;
      do {
        const page = await spec.list(session, bucket, token);
        all.push(...(page?.items ?? []));
        token = page?.next;
      } while (token);
      return all.length ? sub.normalize(all) : undefined;
    },
    async write(session, bucket, desired) {
      const live = (await sub.read(session, bucket)) ?? [];
      for (const item of desired) {
        await mustCall(session, spec.name, bucket, () => spec.put(session, bucket, item));
      }
      const keep = new Set(desired.map((d) => d.Id));
      for (const item of live) {
        if (item.Id !== undefined && !keep.has(item.Id)) {
          await mustCall(session, spec.name, bucket, () =>
            spec.del(session, bucket, item.Id as string),
          );
        }
      }
    },
    async remove(session, bucket) {
      await sub.write(session, bucket, []);
    },
    normalize(v) {
      return sortBy(v, (c) => c.Id ?? '').map(spec.normalizeOne);
    },
  };
  return sub;
}

/** Intelligent-Tiering configurations; tierings sorted by days. */
export const intelligentTiering = byId<IntelligentTieringConfiguration>({
  name: 'intelligentTiering',
  async list(session, bucket, token) {
    const out = await liveCall(
      session,
      'intelligentTiering',
      bucket,
      () =>
        session.s3.send(
          new ListBucketIntelligentTieringConfigurationsCommand({
            Bucket: bucket,
            ContinuationToken: token,
          }),
        ),
      { read: true },
    );
    return (
      out && {
        items: out.IntelligentTieringConfigurationList,
        next: out.IsTruncated ? out.NextContinuationToken : undefined,
      }
    );
  },
  put: (session, bucket, item) =>
    session.s3.send(
      new PutBucketIntelligentTieringConfigurationCommand({
        Bucket: bucket,
        Id: item.Id,
        IntelligentTieringConfiguration: item,
      }),
    ),
  del: (session, bucket, id) =>
    session.s3.send(
      new DeleteBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id: id }),
    ),
  normalizeOne(c) {
    const f = c.Filter;
    const filter =
      f && (f.Prefix || f.Tag || f.And) ? { ...f, Prefix: f.Prefix || undefined } : undefined;
    return {
      ...c,
      Filter: filter,
      Tierings: sortBy(c.Tierings ?? [], (t) => String(t.Days ?? 0).padStart(6, '0')),
    };
  },
});

/** Inventory configurations; optional fields sorted, an empty prefix dropped. */
export const inventory = byId<InventoryConfiguration>({
  name: 'inventory',
  async list(session, bucket, token) {
    const out = await liveCall(
      session,
      'inventory',
      bucket,
      () =>
        session.s3.send(
          new ListBucketInventoryConfigurationsCommand({
            Bucket: bucket,
            ContinuationToken: token,
          }),
        ),
      { read: true },
    );
    return (
      out && {
        items: out.InventoryConfigurationList,
        next: out.IsTruncated ? out.NextContinuationToken : undefined,
      }
    );
  },
  put: (session, bucket, item) =>
    session.s3.send(
      new PutBucketInventoryConfigurationCommand({
        Bucket: bucket,
        Id: item.Id,
        InventoryConfiguration: item,
      }),
    ),
  del: (session, bucket, id) =>
    session.s3.send(new DeleteBucketInventoryConfigurationCommand({ Bucket: bucket, Id: id })),
  normalizeOne(c) {
    const dest = c.Destination?.S3BucketDestination;
    return {
      ...c,
      Filter: c.Filter?.Prefix ? c.Filter : undefined,
      OptionalFields: sortedList(c.OptionalFields) as InventoryConfiguration['OptionalFields'],
      Destination: dest
        ? { S3BucketDestination: { ...dest, Prefix: dest.Prefix || undefined } }
        : c.Destination,
    };
  },
});

import { describe, expect, it } from 'vitest';
import { deliverTo, effectRequest } from '../../runtime/outbox.ts';
import { groupUpserts } from './ownership.ts';
import type { Item } from './source-state.ts';

const upsert = (to: string, name: string): Item =>
  deliverTo(to, {
    type: 'resource.upserted',
    object: { kind: 'HTTPRoute', metadata: { name } },
    origin: name,
  });

const summary = (items: readonly Item[]) =>
  items.map((item) => {
    if (item.type !== 'deliver') return item.effect;
    const message = item.message as { type: string; origin?: string; objects?: { origin: string }[] };
    return `${item.to} ${message.type} ${message.origin ?? message.objects?.map((o) => o.origin).join(',')}`;
  });

describe('the initial listing in batches', () => {
  it('sends each owner its upserts of a step as one batch, in order, where the first was', () => {
    const items = [upsert('routes', 'a'), effectRequest('report-problem', {}), upsert('gateways', 'g')];
    items.push(upsert('routes', 'b'), upsert('gateways', 'h'), upsert('services', 's'));
    expect(summary(groupUpserts(items))).toEqual([
      'routes resources.upserted a,b',
      'report-problem',
      'gateways resources.upserted g,h',
      // A lone upsert stays as it was.
      'services resource.upserted s',
    ]);
  });

  it('leaves an owner that is sent anything else in the step its upserts one by one', () => {
    const items = [
      upsert('routes', 'a'),
      deliverTo('routes', { type: 'resource.deleted', key: { kind: 'HTTPRoute', name: 'x' } }),
      upsert('routes', 'b'),
    ];
    expect(groupUpserts(items)).toEqual(items);
  });

  it('keeps what the CRD check said of each object', () => {
    const checked = deliverTo('routes', {
      type: 'resource.upserted',
      object: { kind: 'HTTPRoute', metadata: { name: 'c' } },
      origin: 'c',
      crdChecked: true,
    });
    const [grouped] = groupUpserts([upsert('routes', 'a'), checked]);
    const objects = (grouped as unknown as { message: { objects: { crdChecked?: boolean }[] } }).message
      .objects;
    expect(objects.map((entry) => entry.crdChecked)).toEqual([undefined, true]);
  });

  it('puts at most 500 objects in a batch', () => {
    const items = Array.from({ length: 1_001 }, (_, i) => upsert('routes', `r${i}`));
    const batches = groupUpserts(items).map(
      (item) => ((item as { message: { objects?: unknown[] } }).message.objects ?? [item]).length,
    );
    expect(batches).toEqual([500, 500, 1]);
  });
});

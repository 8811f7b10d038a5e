import { describe, expect, it } from 'vitest';
import { nextSeq } from '../../../../../functions/adapters/dynamodb/events';
import { TABLE_SCHEMA, createTableInput } from '../../../../../functions/adapters/dynamodb/create-table';
import { mapFilter, setExpression } from '../../../../../functions/adapters/dynamodb/table';

describe('single-table definition', () => {
  it('creates pk/sk with gsi1 and gsi2 (all string keys, projection ALL, on-demand)', () => {
    const input = createTableInput('t');
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(input.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(input.AttributeDefinitions!.map((a) => `${a.AttributeName}:${a.AttributeType}`).sort()).toEqual([
      'gsi1pk:S',
      'gsi1sk:S',
      'gsi2pk:S',
      'gsi2sk:S',
      'pk:S',
      'sk:S',
    ]);
    expect(input.GlobalSecondaryIndexes!.map((g) => [g.IndexName, g.Projection?.ProjectionType])).toEqual([
      ['gsi1', 'ALL'],
      ['gsi2', 'ALL'],
    ]);
    expect(TABLE_SCHEMA.timeToLiveAttribute).toBe('expiresAt');
  });
});

describe('expression helpers', () => {
  it('sets only defined fields, through placeholder names (reserved words are safe)', () => {
    const e = setExpression({ status: 'running', error: null, skipped: undefined, 'odd.name': 1 });
    expect(e.expr).toBe('#f0 = :f0, #f1 = :f1, #f2 = :f2');
    expect(e.names).toEqual({ '#f0': 'status', '#f1': 'error', '#f2': 'odd.name' });
    expect(e.values).toEqual({ ':f0': 'running', ':f1': null, ':f2': 1 });
  });

  it('filters a map attribute on exact key/value pairs, and not at all when empty', () => {
    expect(mapFilter('metadata', {})).toBeNull();
    const f = mapFilter('metadata', { team: 'a', 'key with space': 'b' })!;
    expect(f.expr).toBe('#map.#mk0 = :mv0 AND #map.#mk1 = :mv1');
    expect(f.names).toEqual({ '#map': 'metadata', '#mk0': 'team', '#mk1': 'key with space' });
    expect(f.values).toEqual({ ':mv0': 'a', ':mv1': 'b' });
  });

  it('orders event writes strictly even within one millisecond or when the clock steps back', () => {
    const a = nextSeq(1_700_000_000_000);
    const b = nextSeq(1_700_000_000_000);
    const c = nextSeq(1_600_000_000_000);
    expect(a < b && b < c).toBe(true);
    expect(a).toHaveLength(16);
  });
});

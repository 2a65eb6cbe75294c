import { describe, expect, it } from 'vitest';
import { t } from '../../../src/job/schema.ts';
import { FieldError } from '../../../src/records/coerce.ts';
import { CheckedBatcher } from '../../helpers/checked-batcher.ts';

const schema = {
  id: t.int64(),
  name: t.utf8(),
  score: t.nullable(t.float64()),
  n: t.int32(),
  ok: t.bool(),
  at: t.timestamp('ms'),
  tags: t.list(t.utf8()),
};
const row = { id: 1, name: 'a', score: null, n: 3, ok: true, at: '2026-11-24T10:00:00Z', tags: ['x', 'y'] };

describe('CheckedBatcher', () => {
  it('builds Arrow columns with the declared types and nulls', () => {
    const b = new CheckedBatcher(schema);
    b.append(row);
    b.append({ ...row, id: 2n ** 40n, name: 'bé', score: 1.5, ok: false, at: 1764000000000, tags: [] });
    const batch = b.flush();
    expect(batch.numRows).toBe(2);
    expect(batch.getChild('id')?.toArray()).toEqual(new BigInt64Array([1n, 2n ** 40n]));
    expect(batch.getChild('name')?.toArray()).toEqual(['a', 'bé']);
    expect(batch.getChild('score')?.get(0)).toBeNull();
    expect(batch.getChild('score')?.get(1)).toBe(1.5);
    expect(batch.getChild('ok')?.toArray()).toEqual([true, false]);
    expect(batch.getChild('at')?.get(0)).toBe(Date.parse('2026-11-24T10:00:00Z'));
    expect(batch.getChild('tags')?.get(0)?.toArray()).toEqual(['x', 'y']);
    expect(batch.getChild('tags')?.get(1)?.toArray()).toEqual([]);
    expect(b.rows).toBe(0);
  });

  it('names the field and the reason when a value does not fit, and appends nothing', () => {
    const b = new CheckedBatcher(schema);
    b.append(row);
    const bad = [
      [{ ...row, n: 2 ** 31 }, 'n'],
      [{ ...row, name: 7 }, 'name'],
      [{ ...row, id: 1.5 }, 'id'],
      [{ ...row, at: 'yesterday' }, 'at'],
      [{ ...row, tags: 'x' }, 'tags'],
      [{ ...row, tags: ['x', 1] }, 'tags[]'],
      [{ ...row, ok: undefined }, 'ok'],
    ] as const;
    for (const [r, field] of bad) {
      try {
        b.append(r);
        expect.unreachable(`${field} should not fit`);
      } catch (err) {
        expect(err).toBeInstanceOf(FieldError);
        expect((err as FieldError).field).toBe(field);
      }
    }
    expect(b.rows).toBe(1);
    expect(b.flush().numRows).toBe(1);
  });
});

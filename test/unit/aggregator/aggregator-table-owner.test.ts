import { describe, expect, it } from 'vitest';
import { checkTableOwner, TABLE_COMMENT_PREFIX, tableMetadata } from '../../../src/aggregator/table-owner.ts';
import { isKrangeError } from '../../../src/errors.ts';
import { planAggregate } from '../../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { t } from '../../../src/job/schema.ts';

function plan(name: string) {
  return planAggregate(
    validateJob(
      {
        name,
        topics: ['clicks'],
        schema: { page: t.utf8() },
        sinks: [{ kind: 'parquet', path: '/tmp/x' }],
        aggregate: { groupBy: ['page'], window: { size: '1m' }, measures: { n: { op: 'count' } } },
      },
      'test',
    ),
  );
}

const comment = (m: object) => TABLE_COMMENT_PREFIX + JSON.stringify(m);

describe('aggregate table owner', () => {
  it('records the job and its topics, and the same job owns the table', () => {
    const p = plan('a.b');
    expect(p.table).toBe('a_b_agg');
    expect(JSON.parse(tableMetadata(p))).toMatchObject({ version: 1, job: 'a.b', topics: ['clicks'] });
    expect(checkTableOwner(p, TABLE_COMMENT_PREFIX + tableMetadata(p))).toEqual({ kind: 'owned' });
  });

  it('refuses a job whose name folds to the same table, naming the table, the owner and what to do', () => {
    const owner = plan('a.b');
    const other = plan('a_b');
    expect(other.table).toBe(owner.table);
    let err: unknown;
    try {
      checkTableOwner(other, TABLE_COMMENT_PREFIX + tableMetadata(owner));
    } catch (e) {
      err = e;
    }
    expect(isKrangeError(err, 'KRANGE_TABLE_OWNED')).toBe(true);
    expect((err as Error).message).toMatch(/'a_b_agg' belongs to job 'a\.b' \(topics clicks\)/);
    expect((err as Error).message).toMatch(/set aggregate\.table of job 'a_b'/);
  });

  it('lets the first job claim a krange table with no recorded owner', () => {
    const p = plan('a_b');
    const unowned = comment({ version: 1, window: p.window, groupBy: ['page'] });
    expect(checkTableOwner(p, unowned)).toEqual({ kind: 'claim' });
  });

  it('still refuses tables krange did not make, and other windows', () => {
    const p = plan('a_b');
    expect(() => checkTableOwner(p, null)).toThrow(/not created by 'krange aggregate'/);
    expect(() => checkTableOwner(p, `${TABLE_COMMENT_PREFIX}{oops`)).toThrow(/unreadable krange comment/);
    expect(() =>
      checkTableOwner(
        p,
        comment({ version: 1, job: 'a_b', window: { size: 1, slide: 1 }, groupBy: ['page'] }),
      ),
    ).toThrow(/holds windows/);
  });
});

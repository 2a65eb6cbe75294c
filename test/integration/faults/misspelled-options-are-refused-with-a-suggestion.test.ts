// A misspelled option (`partitonBy`, `onBadRecods`, `workrs`) used to be dropped silently and the job
// ran without it. Every options object is strict: the CLI refuses the job (exit 2), names each key
// with its path and the option it most likely meant.
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

describe('misspelled options', () => {
  it('are refused with the path and a suggestion, before anything runs', async () => {
    const topic = uniqueName('typo');
    await createTopic(topic, 1);
    const job = writeJobFile(
      'typo',
      `{
        name: 'typo',
        topics: [${JSON.stringify(topic)}],
        schema: { id: t.int64(), ts: t.timestamp('ms') },
        sinks: [parquet({ path: '/tmp/krange-typo', partitonBy: { field: 'ts' } } as never)],
        onBadRecods: 'skip',
        limits: { workrs: 2 },
        aggregate: { groupBy: ['id'], window: { size: '1m', slid: '30s' }, measures: { n: { op: 'count' } } },
      } as never`,
    );
    const r = await cli(['plan', job]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sinks.0: unknown option 'partitonBy': did you mean 'partitionBy'?");
    expect(r.stderr).toContain("(job): unknown option 'onBadRecods': did you mean 'onBadRecord'?");
    expect(r.stderr).toContain("limits: unknown option 'workrs': did you mean 'workers'?");
    expect(r.stderr).toContain("aggregate.window: unknown option 'slid': did you mean 'slide'?");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a window size in words says what is accepted', async () => {
    const job = writeJobFile(
      'words',
      `{
        name: 'words',
        topics: ['whatever'],
        schema: { id: t.int64() },
        sinks: [parquet({ path: '/tmp/krange-words' })],
        aggregate: { groupBy: ['id'], window: { size: 'ten minutes' }, measures: { n: { op: 'count' } } },
      } as never`,
    );
    const r = await cli(['plan', job]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "aggregate.window.size: expected a duration like '250ms', '30s', '5m', '1h', '1d' or a positive whole number of milliseconds, got 'ten minutes'",
    );
  });
});

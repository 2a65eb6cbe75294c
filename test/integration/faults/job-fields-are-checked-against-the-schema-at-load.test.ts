// What used to fail on every record (or never ran) is refused when the job is loaded: a Redis key
// placeholder, a partitionBy field, a Mongo index or _id, an aggregate field not in the schema; a
// cron expression or timezone that cannot run. Every problem is listed with its path, exit 2.
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

describe('a job is checked against its own schema at load', () => {
  it('lists every field a sink or the aggregate names that the schema lacks', async () => {
    const topic = uniqueName('fields');
    await createTopic(topic, 1);
    const job = writeJobFile(
      'fields',
      `{
        name: 'fields',
        topics: [${JSON.stringify(topic)}],
        schema: { user_id: t.int64(), ts: t.timestamp('ms'), _id: t.nullable(t.utf8()) },
        sinks: [
          parquet({ path: '/tmp/krange-fields', partitionBy: { field: 'day' } }),
          redis({ mode: 'set', key: 'u:{userid}:{offset}' }),
          mongo({ database: 'd', collection: 'c', indexes: [{ keys: { account: 1 }, unique: true }] }),
        ],
        aggregate: { groupBy: ['user'], window: { size: '1m' }, measures: { n: { op: 'count' } } },
      }`,
    );
    const r = await cli(['plan', job]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sinks.0.partitionBy.field: partition field 'day' is not in the schema");
    expect(r.stderr).toContain(
      "sinks.1.key: key placeholder 'userid' is not in the schema: did you mean 'user_id'?",
    );
    expect(r.stderr).toContain("sinks.2.indexes.0.keys: index field 'account' is not in the schema");
    expect(r.stderr).toContain(
      "schema._id: the Mongo sink (sinks.2) uses '_id' as the document id, which cannot be null",
    );
    expect(r.stderr).toContain("aggregate: groupBy field 'user' is not a schema field");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a cron expression or timezone that cannot run', async () => {
    const topic = uniqueName('cron');
    await createTopic(topic, 1);
    const job = writeJobFile(
      'cron',
      `{
        name: 'cron',
        topics: [${JSON.stringify(topic)}],
        schema: { id: t.int64() },
        sinks: [parquet({ path: '/tmp/krange-cron' })],
        schedule: { cron: 'every five minutes', timezone: 'Mars/Olympus' },
      }`,
    );
    const r = await cli(['plan', job]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("schedule.cron: 'every five minutes' is not a cron expression");
    expect(r.stderr).toContain("schedule.timezone: unknown timezone 'Mars/Olympus'");
  });
});

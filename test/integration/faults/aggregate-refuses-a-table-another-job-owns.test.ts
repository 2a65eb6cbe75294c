// Two aggregate jobs whose names fold to one table (`<p>.b` and `<p>_b` both give `<p>_b_agg`) used
// to add into the same rows. The table records its owner; the second job is refused with
// KRANGE_TABLE_OWNED naming the table, the owner and what to do, and writes nothing (psql reads the
// table and the stored offsets back). Run through the real CLI as child processes.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../helpers/aggregator.ts';
import { startCli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName, withAdmin } from '../../helpers/kafka.ts';
import { psql } from '../../helpers/pg-kafka.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f().catch(() => undefined);
});

function aggJob(name: string, topic: string, extra = ''): string {
  return writeJobFile(
    name.replace(/\./g, '-'),
    `{
      name: ${JSON.stringify(name)},
      topics: [${JSON.stringify(topic)}],
      schema: { page: t.utf8(), ts: t.timestamp('ms') },
      sinks: [parquet({ path: '/tmp/krange-agg-owner-unused' })],
      aggregate: {
        groupBy: ['page'],
        eventTime: { field: 'ts' },
        window: { size: '1m' },
        measures: { events: { op: 'count' } },
        flushInterval: 200,${extra}
      },
    }`,
  );
}

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const eventsIn = (table: string) => Number(psql(`SELECT coalesce(sum(events), 0) FROM "${table}"`)[0]?.[0]);

describe('aggregate table ownership', () => {
  it('refuses a second job whose name folds to the same table, and it writes nothing', async () => {
    const prefix = uniqueName('own').replace('-', '_');
    const owner = `${prefix}.b`;
    const other = `${prefix}_b`;
    const table = `${prefix}_b_agg`;
    const topic = uniqueName('own');
    cleanup.push(
      () => sql(`DROP TABLE IF EXISTS "${table}"`),
      () => sql(`DROP TABLE IF EXISTS "${prefix}_b_own"`),
      () => sql('DELETE FROM krange_stream_offsets WHERE job = ANY($1)', [[owner, other]]),
      () => sql('DELETE FROM krange_stream_stats WHERE job = ANY($1)', [[owner, other]]),
      () => withAdmin((a) => a.deleteTopics({ topics: [topic] })),
      () => withAdmin((a) => a.deleteGroups([`krange-agg-${owner}`, `krange-agg-${other}`])),
    );
    await createTopic(topic, 2);
    const t0 = Date.UTC(2026, 0, 1, 12);
    await produce(
      topic,
      Array.from({ length: 300 }, (_, i) => ({
        key: `k${i % 7}`,
        value: JSON.stringify({ page: `/p${i % 5}`, ts: t0 + i * 1000 }),
      })),
    );
    const env = { KRANGE_LOG_LEVEL: 'info' };

    // The first job creates the table, records itself as owner and folds all 300 events.
    const first = startCli(['aggregate', aggJob(owner, topic)], env);
    cleanup.push(async () => first.child.kill('SIGKILL'));
    await until('the first job to fold every event', async () => {
      try {
        return eventsIn(table) === 300;
      } catch {
        return false;
      }
    });
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(0);
    const comment = psql(`SELECT obj_description('"${table}"'::regclass, 'pg_class')`)[0]?.[0] ?? '';
    expect(JSON.parse(comment.slice('krange aggregate: '.length))).toMatchObject({
      job: owner,
      topics: [topic],
    });

    // The second job, same table by default: refused at start, before it reads anything.
    const second = startCli(['aggregate', aggJob(other, topic)], env);
    cleanup.push(async () => second.child.kill('SIGKILL'));
    const r = await Promise.race([
      second.done,
      new Promise<undefined>((res) => setTimeout(() => res(undefined), 60_000)),
    ]);
    expect(r, 'the second job was not refused: it is still running').toBeDefined();
    expect(r?.code).toBe(1);
    const line = r?.stderr ?? '';
    expect(line).toContain('[KRANGE_TABLE_OWNED]');
    expect(line).toContain(`'${table}' belongs to job '${owner}'`);
    expect(line).toContain(`aggregate.table of job '${other}'`);
    expect(line).toContain(`DROP TABLE "${table}"`);
    // Nothing of the second job reached PostgreSQL: the rows still count each event once.
    expect(eventsIn(table)).toBe(300);
    expect(psql(`SELECT count(*) FROM krange_stream_offsets WHERE job = '${other}'`)[0]?.[0]).toBe('0');

    // What the message says to do works: another table for the second job.
    const renamed = startCli(['aggregate', aggJob(other, topic, `\n        table: '${prefix}_b_own',`)], env);
    cleanup.push(async () => renamed.child.kill('SIGKILL'));
    await until('the renamed job to fold every event', async () => {
      try {
        return eventsIn(`${prefix}_b_own`) === 300;
      } catch {
        return false;
      }
    });
    renamed.child.kill('SIGTERM');
    expect((await renamed.done).code).toBe(0);
    expect(eventsIn(table)).toBe(300);
  });
});

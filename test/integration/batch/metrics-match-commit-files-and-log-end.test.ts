// `krange schedule` serves /metrics: scraped while an iteration runs (held before its commit) and
// after it, the figures equal the commit files (records, rows, committed positions) and Kafka's
// own log end offsets; with monitoring.commitToGroup the committed positions also land in a Kafka
// consumer group, read back with the admin API as a lag tool would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, produceEvents } from '../../helpers/batch.ts';
import { startDaemon } from '../../helpers/daemon.ts';
import { uniqueName, watermarks, withAdmin } from '../../helpers/kafka.ts';
import { samples, scrape, sum } from '../../helpers/prometheus.ts';

interface Commit {
  records: number;
  rows: number;
  tasks: { sinks: Record<string, { rows: number }> }[];
}
interface Plan {
  ranges: { topic: string; partition: number; begin: string; end: string }[];
}

describe('metrics', () => {
  it('match the commit files and the log end during and after an iteration', async () => {
    const f = await batchFixture(3);
    const group = uniqueName('krange-lag');
    const read = <T>(kind: string, n: number): T =>
      JSON.parse(readFileSync(join(f.stateDir, f.job, kind, `${n}.json`), 'utf8')) as T;
    await produceEvents(f, 1500);
    const d = startDaemon([EVENTS_JOB, '--metrics-port', '0'], {
      ...f.env,
      KRANGE_TEST_CRON: '* * * * * *',
      KRANGE_TEST_COMMIT_GROUP: group,
      KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS: '5000',
    });
    try {
      await d.until('the metrics URL', (ls) => ls.some((l) => typeof l['url'] === 'string'));
      const url = d.lines.find((l) => typeof l['url'] === 'string')!['url'] as string;
      await d.until('iteration 0 committed', (ls) =>
        ls.some((l) => l.event === 'iteration.committed' && l.iteration === 0),
      );

      // During iteration 1 (planned, its commit held back): the position is still iteration 0's.
      await produceEvents(f, 900);
      await d.until('iteration 1 planned', (ls) =>
        ls.some((l) => l.event === 'iteration.planned' && l.iteration === 1),
      );
      const during = await scrape(url);
      const plan0 = read<Plan>('offsets', 0);
      const ends = await watermarks(f.topic);
      for (const r of plan0.ranges) {
        const labels = { job: f.job, consumer: 'batch', topic: r.topic, partition: String(r.partition) };
        const high = ends.find((e) => e.partition === r.partition)!.high;
        expect(samples(during, 'krange_committed_offset', labels)[0]?.value).toBe(Number(r.end));
        expect(samples(during, 'krange_log_end_offset', labels)[0]?.value).toBe(Number(high));
        expect(samples(during, 'krange_lag_records', labels)[0]?.value).toBe(Number(high - BigInt(r.end)));
      }
      expect(sum(during, 'krange_lag_records', { job: f.job })).toBe(900);
      expect(sum(during, 'krange_last_iteration', { job: f.job })).toBe(0);
      expect(sum(during, 'krange_iteration_records_total', { job: f.job })).toBe(1500);

      // After the commit of iteration 1.
      await d.until('iteration 1 committed', (ls) =>
        ls.some((l) => l.event === 'iteration.committed' && l.iteration === 1),
      );
      const after = await scrape(url);
      const c0 = read<Commit>('commits', 0);
      const c1 = read<Commit>('commits', 1);
      const plan1 = read<Plan>('offsets', 1);
      const ends1 = await watermarks(f.topic);
      for (const r of plan1.ranges) {
        const labels = { job: f.job, consumer: 'batch', topic: r.topic, partition: String(r.partition) };
        expect(BigInt(r.end)).toBe(ends1.find((e) => e.partition === r.partition)!.high);
        expect(samples(after, 'krange_committed_offset', labels)[0]?.value).toBe(Number(r.end));
        expect(samples(after, 'krange_lag_records', labels)[0]?.value).toBe(0);
      }
      expect(sum(after, 'krange_last_iteration', { job: f.job })).toBe(1);
      expect(sum(after, 'krange_last_iteration_records', { job: f.job })).toBe(c1.records);
      expect(sum(after, 'krange_last_iteration_rows', { job: f.job })).toBe(c1.rows);
      expect(sum(after, 'krange_iteration_records_total', { job: f.job })).toBe(c0.records + c1.records);
      expect(sum(after, 'krange_iteration_rows_total', { job: f.job })).toBe(c0.rows + c1.rows);
      const sinkRows = [c0, c1].flatMap((c) =>
        c.tasks.flatMap((t) => Object.values(t.sinks).map((s) => s.rows)),
      );
      expect(sum(after, 'krange_sink_rows_total', { job: f.job })).toBe(sinkRows.reduce((a, b) => a + b, 0));
      expect(sum(after, 'krange_iterations_total', { job: f.job, status: 'committed' })).toBe(2);
      for (const phase of ['plan', 'tasks', 'commit'])
        expect(sum(after, 'krange_iteration_phase_duration_seconds_count', { job: f.job, phase })).toBe(2);
      expect(samples(after, 'krange_process_resident_memory_bytes').length).toBe(1);

      // The consumer group holds the committed positions (what kafka-consumer-groups shows).
      const offsets = await withAdmin((a) => a.fetchOffsets({ groupId: group, topics: [f.topic] }));
      const byPartition = new Map(offsets[0]!.partitions.map((p) => [p.partition, p.offset]));
      for (const r of plan1.ranges) expect(byPartition.get(r.partition)).toBe(r.end);
    } finally {
      d.child.kill('SIGTERM');
      await d.done;
    }
  });
});

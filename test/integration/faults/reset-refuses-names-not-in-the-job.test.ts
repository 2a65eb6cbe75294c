// `reset --to <json>`: a topic or partition the job does not read (a typo) and a position beyond
// the log end are refused and change nothing; partitions the JSON does not name keep their
// position (they used to go back to 0, and the next run wrote every record twice); the resulting
// plan is shown before --yes takes effect.
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { downloadParquet, parquetGlob, query } from '../../helpers/duckdb.ts';
import { watermarks } from '../../helpers/kafka.ts';
import { hasStateFile } from '../../helpers/state-files.ts';

describe('reset --to', () => {
  it('refuses unknown names and positions past the end, keeps unnamed partitions, previews first', async () => {
    const f = await batchFixture(3);
    await produceEvents(f, 600);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    const marks = await watermarks(f.topic);
    const end0 = marks.find((m) => m.partition === 0)?.high ?? 0n;

    const refusals: [string, RegExp][] = [
      [JSON.stringify({ [`${f.topic}x`]: { '0': 0 } }), /topic '.*x' is not read by this job/],
      [JSON.stringify({ [f.topic]: { '7': 0 } }), /has no partition '7'/],
      [JSON.stringify({ [f.topic]: { '0': Number(end0) + 5 } }), /beyond the log end/],
    ];
    for (const [to, why] of refusals) {
      const r = await cli(['reset', EVENTS_JOB, '--to', to, '--yes'], f.env);
      expect(r.code, to).toBe(2);
      expect(r.stderr, to).toMatch(why);
      expect(r.stderr, to).toMatch(/nothing changed/);
      expect(hasStateFile(f, 'offsets', '1.json'), to).toBe(false);
    }

    // Without --yes: the plan is shown, nothing is written, exit 2.
    const to = JSON.stringify({ [f.topic]: { '0': -2 } });
    const shown = await cli(['reset', EVENTS_JOB, '--to', to], f.env);
    expect(shown.code).toBe(2);
    expect(shown.stdout).toMatch(/keeps its position/);
    expect(shown.stdout).toMatch(
      new RegExp(`total: ${Number(end0)} records; 2 partition\\(s\\) not named keep`),
    );
    expect(shown.stderr).toMatch(/--yes/);
    expect(hasStateFile(f, 'offsets', '1.json')).toBe(false);

    const done = await cli(['reset', EVENTS_JOB, '--to', to, '--yes'], f.env);
    expect(done.code).toBe(0);
    const again = await cli(['run', EVENTS_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`records\\s+${Number(end0)}\\b`));
    // Partitions 1 and 2 were not re-read: each of their records is in exactly one file.
    const { local } = await downloadParquet(f.hdfsDir);
    const rows = await query(
      `select kafka_partition as p, count(*)::int as n, count(distinct kafka_offset)::int as d
       from ${parquetGlob(local)} group by 1 order by 1`,
    );
    for (const r of rows) {
      if (r['p'] === 0) continue;
      expect(r['n']).toBe(r['d']);
    }
    expect(rows.reduce((s, r) => s + Number(r['d']), 0)).toBe(600);
  });
});

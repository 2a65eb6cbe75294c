// A run logs what happens as structured events (src/log-events.ts), which operators and these tests
// read instead of message text: the lock taken, the plan, each task started and done, each sink's
// staged files and flush, the commit; a run with nothing new says so (iteration.empty).
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, produceEvents } from '../../helpers/batch.ts';
import { cli, logLines } from '../../helpers/cli.ts';

describe('a batch run', () => {
  it('logs lock.taken, iteration.planned, task.started/done, sink.flushed, iteration.committed, then iteration.empty', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 400);
    const env = { ...f.env, KRANGE_LOG_LEVEL: 'debug' };
    const first = await cli(['run', EVENTS_JOB], env);
    expect(first.code, first.stderr).toBe(0);
    const events = logLines(first.stderr).filter((l) => l.event !== undefined);
    const names = events.map((l) => l.event);
    const planned = events.find((l) => l.event === 'iteration.planned');
    expect(planned).toMatchObject({ iteration: 0, tasks: 2, records: 400 });
    // In order: the lock before the plan, the plan before any task, the commit last.
    expect(names.indexOf('lock.taken')).toBeLessThan(names.indexOf('iteration.planned'));
    expect(names.indexOf('iteration.planned')).toBeLessThan(names.indexOf('task.started'));
    expect(names.lastIndexOf('task.done')).toBeLessThan(names.indexOf('iteration.committed'));
    expect(events.filter((l) => l.event === 'task.started')).toHaveLength(2);
    const done = events.filter((l) => l.event === 'task.done');
    expect(done.map((l) => Number(l['records'])).reduce((a, b) => a + b, 0)).toBe(400);
    const flushed = events.filter((l) => l.event === 'sink.flushed');
    expect(flushed.map((l) => Number(l['rows'])).reduce((a, b) => a + b, 0)).toBe(400);
    expect(flushed.every((l) => String(l['sink']).startsWith('parquet:'))).toBe(true);
    // Each task's files are staged (complete under _temporary) before they are renamed and flushed.
    const staged = events.filter((l) => l.event === 'sink.staged');
    expect(staged.map((l) => l['task']).sort()).toEqual(flushed.map((l) => l['task']).sort());
    expect(names.indexOf('sink.staged')).toBeLessThan(names.indexOf('sink.flushed'));

    const second = await cli(['run', EVENTS_JOB], env);
    expect(second.code, second.stderr).toBe(0);
    expect(logLines(second.stderr).map((l) => l.event)).toContain('iteration.empty');
  });
});

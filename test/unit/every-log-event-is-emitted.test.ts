// Every event name defined in src/log-events.ts is emitted somewhere in src/ (`LogEvents.<key>`),
// so a log reader can rely on the list; a name nothing emits is removed, not kept "for later".
// And every one is asserted by an integration test: its name (or `LogEvents.<key>`) appears in a
// test under test/integration, which provokes the situation and reads the event from the log.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogEvents } from '../../src/log-events.ts';

/** Names defined ahead of the code that emits them (none now); each is checked not to be emitted yet. */
const PENDING = new Set<string>([]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && p !== join('src', 'log-events.ts') ? [p] : [];
  });
}

/** The integration tests' sources, helpers excluded: an event a helper waits for counts only when a test names it. */
const integrationTests = () =>
  sources(join('test', 'integration'))
    .map((p) => readFileSync(p, 'utf8'))
    .join('\n');

/** Whether the tests name the event, as a string literal or as `LogEvents.<key>`. */
function namedIn(text: string, key: string, name: string): boolean {
  const quoted = name.replaceAll('.', '\\.');
  return new RegExp(`['"\`]${quoted}['"\`]|LogEvents\\.${key}\\b`).test(text);
}

describe('log events', () => {
  const text = sources('src')
    .map((p) => readFileSync(p, 'utf8'))
    .join('\n');
  const emitted = (key: string) => new RegExp(`LogEvents\\.${key}\\b`).test(text);

  it('are all emitted by the code', () => {
    const never = Object.keys(LogEvents).filter((k) => !PENDING.has(k) && !emitted(k));
    expect(never).toEqual([]);
  });

  it('keeps the pending list honest: whoever emits one removes it from PENDING', () => {
    expect([...PENDING].filter(emitted)).toEqual([]);
  });

  it('are all asserted by an integration test (the missing ones are listed)', () => {
    const tests = integrationTests();
    const unasserted = Object.entries(LogEvents)
      .filter(([key, name]) => !namedIn(tests, key, name))
      .map(([, name]) => name);
    expect(unasserted).toEqual([]);
  });

  it('counts an event as asserted only when a test names it exactly', () => {
    expect(
      namedIn("waitForEvent(h, 'aggregate.emit-lease')", 'aggregateEmitLease', 'aggregate.emit-lease'),
    ).toBe(true);
    expect(namedIn('l.event === LogEvents.sinkRetry)', 'sinkRetry', 'sink.retry')).toBe(true);
    expect(namedIn("'aggregate.emit-lease-x'", 'aggregateEmitLease', 'aggregate.emit-lease')).toBe(false);
    expect(namedIn("'sinkXretry'", 'sinkRetry', 'sink.retry')).toBe(false);
    expect(namedIn('/ingest\\.stopped/', 'ingestStopped', 'ingest.stopped')).toBe(false);
  });

  it('names each event once', () => {
    const names = Object.values(LogEvents);
    expect(new Set(names).size).toBe(names.length);
  });
});

// Every event name defined in src/log-events.ts is emitted somewhere in src/ (`LogEvents.<key>`),
// so a log reader can rely on the list; a name nothing emits is removed, not kept "for later".
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

  it('names each event once', () => {
    const names = Object.values(LogEvents);
    expect(new Set(names).size).toBe(names.length);
  });
});

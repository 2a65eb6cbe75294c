import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  advance,
  emptyCheckpoint,
  planStart,
  readCheckpoint,
  writeCheckpoint,
} from '../../../src/push/checkpoint.ts';
import type { Line } from '../../../src/push/file-tail.ts';
import { checkpointAfter, toOutLine } from '../../../src/push/push-agent.ts';

const A = { dev: 1, ino: 10 };
const B = { dev: 1, ino: 11 };

describe('where a followed file resumes', () => {
  it('resumes the same file at the acknowledged offset', () => {
    const saved = { ...A, offset: 100, lines: 5 };
    expect(planStart(saved, { ...A, size: 150 }, [])).toEqual({ kind: 'resume', offset: 100 });
  });

  it('finishes the rotated file first when the path now names a new file', () => {
    const saved = { ...A, offset: 100, lines: 5 };
    expect(planStart(saved, { ...B, size: 10 }, [{ path: '/d/app.log.1', id: { ...A, size: 180 } }])).toEqual(
      {
        kind: 'finish-rotated',
        rotatedPath: '/d/app.log.1',
        offset: 100,
      },
    );
  });

  it('starts from 0 for a new path, a truncated file, or a rotated file that is gone', () => {
    expect(planStart(undefined, { ...A, size: 5 }, []).kind).toBe('from-start');
    expect(planStart({ ...A, offset: 100, lines: 1 }, { ...A, size: 50 }, []).kind).toBe('from-start');
    expect(planStart({ ...A, offset: 100, lines: 1 }, { ...B, size: 50 }, []).kind).toBe('from-start');
  });
});

describe('checkpoint after an acknowledged batch', () => {
  const line = (path: string, id: typeof A, end: number): Line => ({ text: '{}', path, id, end });

  it('records per path the file and end of its last line, counting lines', () => {
    const cp = checkpointAfter(emptyCheckpoint(), [
      line('/a', A, 10),
      line('/b', A, 5),
      line('/a', A, 20),
      line('/a', B, 7),
      line('-', { dev: 0, ino: 0 }, 3),
    ]);
    expect(cp.files).toEqual({ '/a': { ...B, offset: 7, lines: 3 }, '/b': { ...A, offset: 5, lines: 1 } });
    expect(advance(cp, '/b', A, 9, 2).files['/b']).toEqual({ ...A, offset: 9, lines: 3 });
  });

  it('round-trips through its file and refuses a corrupt one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'krange-cp-'));
    const p = join(dir, 'cp.json');
    expect(readCheckpoint(p)).toEqual(emptyCheckpoint());
    const cp = advance(emptyCheckpoint(), '/x', A, 42, 3);
    writeCheckpoint(p, cp);
    expect(readCheckpoint(p)).toEqual(cp);
    writeFileSync(p, '{"version":2,"files":{}}');
    expect(() => readCheckpoint(p)).toThrow(/unreadable/);
  });
});

describe('lines to records', () => {
  it('keeps the JSON text, takes the key from a field, and refuses a line that is not JSON', () => {
    expect(toOutLine('{"id":"l-1","n":1}', 'id')).toEqual({ text: '{"id":"l-1","n":1}', key: 'l-1' });
    expect(toOutLine('{"id":7}', 'id')).toEqual({ text: '{"id":7}', key: '7' });
    expect(toOutLine('{"n":1}', undefined)).toEqual({ text: '{"n":1}', key: null });
    expect(toOutLine('{oops', undefined)).toMatchObject({ bad: expect.stringMatching(/not a JSON line/) });
  });
});

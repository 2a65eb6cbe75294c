// A utf8 field fed with bytes that are not UTF-8 is a bad record whose raw bytes reach the dead letter
// (it used to be stored with U+FFFD silently); a job that sets invalidUtf8: 'replace' stores U+FFFD.
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { produce } from '../../helpers/kafka.ts';
import { deadLetters, parquetRows, TYPED_JOB, typedFixture } from './typed-values-fixture.ts';

const INVALID = Buffer.concat([Buffer.from('{"id":2,"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
const RECORDS = [
  { value: Buffer.from('{"id":1,"name":"ok é"}') },
  { value: INVALID },
  // A real U+FFFD in valid UTF-8 is an ordinary character.
  { value: Buffer.from('{"id":3,"name":"\uFFFD"}') },
];

describe('invalid UTF-8', () => {
  it('is a bad record naming the field; the dead letter holds the raw bytes', async () => {
    const f = await typedFixture();
    await produce(f.topic, RECORDS);
    const r = await cli(['run', TYPED_JOB], f.env);
    expect(r.code, r.stderr).toBe(0);
    const dead = deadLetters(f);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ offset: '1', stage: 'schema', field: 'name' });
    expect(dead[0]!['error']).toMatch(/'name' holds bytes that are not valid UTF-8/);
    expect(Buffer.from(dead[0]!['value']!, 'base64').equals(INVALID)).toBe(true);
    expect((await parquetRows(f)).map((row) => [row['id'], row['name']])).toEqual([
      ['1', 'ok é'],
      ['3', '\uFFFD'],
    ]);
  });

  it("is stored with U+FFFD when the job sets invalidUtf8: 'replace'", async () => {
    const f = await typedFixture({ KRANGE_TEST_INVALID_UTF8: 'replace' });
    await produce(f.topic, RECORDS);
    const r = await cli(['run', TYPED_JOB], f.env);
    expect(r.code, r.stderr).toBe(0);
    expect(deadLetters(f)).toEqual([]);
    expect((await parquetRows(f)).map((row) => row['name'])).toEqual(['ok é', 'caf\uFFFD', '\uFFFD']);
  });
});

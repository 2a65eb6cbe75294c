// The identity a state directory is bound to: topics and sink targets, compared without order or
// server addresses, with each difference named.
import { describe, expect, it } from 'vitest';
import { t } from '../../../src/index.ts';
import { jobSpecSchema } from '../../../src/job/job-spec.ts';
import { identityDifferences, jobIdentity } from '../../../src/state/state-identity.ts';

function spec(topics: string[] | RegExp, sinks: unknown[]) {
  return jobSpecSchema.parse({ name: 'j', topics, schema: { id: t.int64() }, sinks });
}

const parquet = { kind: 'parquet', path: 'webhdfs:///data/x' };
const mongoA = { kind: 'mongo', database: 'shop', collection: 'clicks', url: 'mongodb://a:1' };
const mongoB = { kind: 'mongo', database: 'shop', collection: 'clicks', url: 'mongodb://b:2' };

describe('state identity', () => {
  it('ignores order and server addresses', () => {
    const a = jobIdentity(spec(['b', 'a'], [parquet, mongoA]), '/jobs/a.ts');
    const b = jobIdentity(spec(['a', 'b'], [mongoB, parquet]), '/elsewhere/b.ts');
    expect(a.topics).toEqual(['a', 'b']);
    expect(a.sinks).toEqual(['mongo shop.clicks', 'parquet webhdfs:///data/x']);
    expect(identityDifferences(a, b)).toEqual([]);
  });

  it('names every topic and sink that differs', () => {
    const bound = jobIdentity(spec(['a'], [parquet]), '/jobs/a.ts');
    const now = jobIdentity(spec(['b'], [parquet, { kind: 'postgres', table: 'events' }]), '/jobs/b.ts');
    expect(identityDifferences(bound, now)).toEqual([
      'topic a is bound but not in the job',
      'topic b is in the job but not bound',
      'sink postgres public.events is in the job but not bound',
    ]);
  });

  it('binds a RegExp as written', () => {
    expect(jobIdentity(spec(/clicks-.*/, [parquet]), '/j.ts').topics).toEqual(['/clicks-.*/']);
  });
});

// Bottlenecks handled, not hidden: past the in-flight byte budget the gateway answers 429 with
// Retry-After (nothing of those requests stored), a token over its rate gets 429, and SIGTERM
// drains the batches in flight: every request accepted before the signal is answered 200 and stored.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTopic, startGateway } from '../../helpers/ingest.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

const topic = uniqueName('ingest-load');
beforeAll(async () => {
  await createTopic(topic, 2);
});

const v2 = (url: string, keys: string[], headers: Record<string, string> = {}) =>
  fetch(`${url}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json', ...headers },
    body: JSON.stringify({ records: keys.map((k) => ({ key: k, value: { k } })) }),
  });

describe('load shedding and shutdown', () => {
  it('answers 429 with Retry-After past the in-flight budget and stores only what it acknowledged', async () => {
    // A long linger keeps the first request's bytes in flight while the others arrive.
    const g = await startGateway(['--port', '0', '--in-flight-bytes', '10', '--linger-ms', '1500']);
    try {
      const first = v2(g.url, ['budget-0']);
      await new Promise((r) => setTimeout(r, 300));
      const rest = await Promise.all(Array.from({ length: 5 }, (_, i) => v2(g.url, [`budget-${i + 1}`])));
      const statuses = rest.map((r) => r.status);
      expect(statuses.every((s) => s === 429)).toBe(true);
      expect(rest[0]?.headers.get('retry-after')).toBe('1');
      expect(await rest[0]?.json()).toMatchObject({ error_code: 42901 });
      expect((await first).status).toBe(200);
      const keys = readTopic(topic)
        .map((r) => r.key)
        .filter((k) => k.includes('budget'));
      expect(keys).toEqual(['"budget-0"']);
      const metrics = await (await fetch(`${g.url}/metrics`)).text();
      expect(metrics).toMatch(/krange_ingest_throttled_total\{reason="budget"\} 5/);
    } finally {
      g.child.kill('SIGTERM');
      await g.done;
    }
  });

  it('limits a token to its records per second', async () => {
    const cfg = join(tmpdir(), `${uniqueName('ingest-cfg')}.json`);
    const token = 'rate-limited-token-0123456789';
    writeFileSync(
      cfg,
      JSON.stringify({ tokens: [{ name: 'slow', token, topics: [topic], recordsPerSecond: 1, burst: 3 }] }),
    );
    const g = await startGateway(['--port', '0', '--config', cfg]);
    try {
      const auth = { authorization: `Bearer ${token}` };
      expect((await v2(g.url, ['rate-0', 'rate-1', 'rate-2'], auth)).status).toBe(200);
      const over = await v2(g.url, ['rate-3', 'rate-4'], auth);
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(readTopic(topic).filter((r) => r.key.includes('rate-')).length).toBe(3);
    } finally {
      g.child.kill('SIGTERM');
      await g.done;
    }
  });

  it('drains in-flight batches on SIGTERM: accepted requests are answered and stored, then it exits 0', async () => {
    const g = await startGateway(['--port', '0', '--linger-ms', '2000']);
    const pending = Array.from({ length: 4 }, (_, i) => v2(g.url, [`drain-${i}`]));
    await new Promise((r) => setTimeout(r, 500));
    g.child.kill('SIGTERM');
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const res = await g.done;
    expect(res.code).toBe(0);
    // It said where it listened (the event and the line on stdout), then drained and stopped.
    expect(g.log.events('ingest.listening')).toEqual([expect.objectContaining({ url: g.url, tokens: 0 })]);
    expect(g.output()).toContain(`krange ingest listening on ${g.url}`);
    const names = g.log.lines.map((l) => l.event);
    expect(names.filter((n) => n === 'ingest.stopping' || n === 'ingest.stopped')).toEqual([
      'ingest.stopping',
      'ingest.stopped',
    ]);
    const keys = readTopic(topic)
      .map((r) => r.key)
      .filter((k) => k.includes('drain-'))
      .sort();
    expect(keys).toEqual(['"drain-0"', '"drain-1"', '"drain-2"', '"drain-3"']);
  });

  it('answers a batch Kafka refuses as failed and logs ingest.produce-failed', async () => {
    // Kafka refuses any batch over this topic's max.message.bytes (MESSAGE_TOO_LARGE).
    const small = uniqueName('ingest-small');
    await createTopic(small, 1, [{ name: 'max.message.bytes', value: '256' }]);
    const g = await startGateway(['--port', '0']);
    try {
      const res = await fetch(`${g.url}/topics/${small}`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
        body: JSON.stringify({ records: [{ key: 'big', value: { text: 'x'.repeat(2000) } }] }),
      });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({
        error_code: 50002,
        message: expect.stringContaining('Kafka error'),
      });
      await g.log.until('ingest.produce-failed', (ls) => ls.some((l) => l.event === 'ingest.produce-failed'));
      expect(g.log.events('ingest.produce-failed')[0]?.['err']).toMatch(/larger than the max message size/);
      expect(readTopic(small)).toEqual([]);
    } finally {
      g.child.kill('SIGTERM');
      await g.done;
    }
  });
});

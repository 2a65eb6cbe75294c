// Sends lines to an ingest gateway or a Confluent REST Proxy: v3 (a stream of concatenated JSON
// records in one request, a delivery report per record) or v2 (`{"records": [...]}` in the json
// embedded format; a refused request is split in halves until the bad lines are isolated).

import { splitRecordStream } from '../ingest/record-stream.ts';
import { fatalSendError, type OutLine, type Sender, type SendOutcome, transientSendError } from './sender.ts';

export interface GatewaySenderOptions {
  /** Base URL, e.g. http://127.0.0.1:8082 */
  url: string;
  topic: string;
  api: 'v3' | 'v2';
  token?: string | undefined;
  /** Request timeout, ms. */
  timeoutMs: number;
}

type Result = SendOutcome['results'][number];

const REJECT = new Set([400, 413, 422]);

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  const n = h === null ? Number.NaN : Number(h);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export class GatewaySender implements Sender {
  readonly target: string;
  private clusterId: string | undefined;

  constructor(private readonly o: GatewaySenderOptions) {
    this.target = `${o.url} (${o.api}, topic ${o.topic})`;
  }

  private async post(
    path: string,
    contentType: string,
    body: string,
  ): Promise<{ res: Response; text: string }> {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (this.o.token !== undefined) headers['authorization'] = `Bearer ${this.o.token}`;
    try {
      const res = await fetch(`${this.o.url}${path}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      return { res, text: await res.text() };
    } catch (err) {
      throw transientSendError(this.target, (err as Error).message, undefined, err);
    }
  }

  private async cluster(): Promise<string> {
    if (this.clusterId !== undefined) return this.clusterId;
    const headers: Record<string, string> = {};
    if (this.o.token !== undefined) headers['authorization'] = `Bearer ${this.o.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.o.url}/v3/clusters`, {
        headers,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      throw transientSendError(this.target, (err as Error).message, undefined, err);
    }
    if (res.status >= 500 || res.status === 429)
      throw transientSendError(this.target, `GET /v3/clusters answered ${res.status}`);
    if (res.status !== 200) throw fatalSendError(this.target, `GET /v3/clusters answered ${res.status}`);
    const body = (await res.json()) as { data?: { cluster_id?: string }[] };
    const id = body.data?.[0]?.cluster_id;
    if (id === undefined) throw fatalSendError(this.target, 'GET /v3/clusters named no cluster');
    this.clusterId = id;
    return id;
  }

  send(lines: OutLine[]): Promise<SendOutcome> {
    return this.o.api === 'v3' ? this.sendV3(lines) : this.sendV2(lines);
  }

  private async sendV3(lines: OutLine[]): Promise<SendOutcome> {
    const id = await this.cluster();
    const body = lines
      .map(
        (l) =>
          `{${l.key === null ? '' : `"key":{"type":"STRING","data":${JSON.stringify(l.key)}},`}"value":{"type":"JSON","data":${l.text}}}`,
      )
      .join('\n');
    const path = `/v3/clusters/${encodeURIComponent(id)}/topics/${encodeURIComponent(this.o.topic)}/records`;
    const { res, text } = await this.post(path, 'application/json', body);
    if (res.status === 429 || res.status >= 500)
      throw transientSendError(this.target, `HTTP ${res.status}: ${text.slice(0, 200)}`, retryAfter(res));
    if (res.status !== 200) {
      if (lines.length === 1 && REJECT.has(res.status))
        return { results: [{ kind: 'rejected', reason: text }] };
      throw fatalSendError(this.target, `HTTP ${res.status}: ${text.slice(0, 300)}`);
    }
    const items = splitRecordStream(text);
    if (items.length !== lines.length)
      return {
        results: lines.map(() => ({
          kind: 'retry',
          reason: `${items.length} reports for ${lines.length} records`,
        })),
      };
    return {
      results: items.map((it): Result => {
        if (!it.ok) return { kind: 'retry', reason: 'unreadable delivery report' };
        const r = it.value as { error_code?: number; message?: string };
        const code = r.error_code ?? 500;
        if (code === 200) return { kind: 'stored' };
        if (REJECT.has(code)) return { kind: 'rejected', reason: r.message ?? `error ${code}` };
        return { kind: 'retry', reason: r.message ?? `error ${code}` };
      }),
    };
  }

  private async sendV2(lines: OutLine[]): Promise<SendOutcome> {
    const records = lines.map(
      (l) => `{${l.key === null ? '' : `"key":${JSON.stringify(l.key)},`}"value":${l.text}}`,
    );
    const { res, text } = await this.post(
      `/topics/${encodeURIComponent(this.o.topic)}`,
      'application/vnd.kafka.json.v2+json',
      `{"records":[${records.join(',')}]}`,
    );
    if (res.status === 429 || res.status >= 500)
      throw transientSendError(this.target, `HTTP ${res.status}: ${text.slice(0, 200)}`, retryAfter(res));
    if (REJECT.has(res.status)) {
      if (lines.length === 1) return { results: [{ kind: 'rejected', reason: text }] };
      // v2 refuses a request with any bad record whole: halve until the bad lines stand alone.
      const mid = Math.ceil(lines.length / 2);
      const a = await this.sendV2(lines.slice(0, mid));
      const b = await this.sendV2(lines.slice(mid));
      return { results: [...a.results, ...b.results] };
    }
    if (res.status !== 200) throw fatalSendError(this.target, `HTTP ${res.status}: ${text.slice(0, 300)}`);
    const offsets =
      (JSON.parse(text) as { offsets?: { error_code?: number | null; error?: string | null }[] }).offsets ??
      [];
    if (offsets.length !== lines.length)
      return {
        results: lines.map(() => ({
          kind: 'retry',
          reason: `${offsets.length} offsets for ${lines.length} records`,
        })),
      };
    return {
      results: offsets.map((o): Result => {
        if (o.error_code === null || o.error_code === undefined) return { kind: 'stored' };
        if (o.error_code === 1) return { kind: 'rejected', reason: o.error ?? 'non-retriable error' };
        return { kind: 'retry', reason: o.error ?? 'retriable error' };
      }),
    };
  }

  async close(): Promise<void> {}
}

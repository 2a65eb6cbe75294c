// A client of the Confluent Schema Registry REST API, as documented
// (https://docs.confluent.io/platform/current/schema-registry/develop/api.html): GET
// /schemas/ids/{id} for the writer schema of a framed value, GET /subjects/{subject}/versions/latest
// for a subject's current schema. Each id is fetched once per process (worker) and kept; an id the
// registry does not know (404, error_code 40403) is reported as unknown, so that record is bad; a
// registry that cannot be reached or answers 5xx is a retriable KrangeError, and the id is asked
// again next time. Checked against recorded responses only: no registry server can be installed here.

import { KrangeError } from '../../errors.ts';

export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

export interface RegisteredSchema {
  id: number;
  /** Defaults to AVRO, as the registry does when the field is absent. */
  schemaType: SchemaType;
  /** The schema's text: Avro JSON, a .proto file, or a JSON Schema document. */
  schema: string;
  references: { name: string; subject: string; version: number }[];
}

export interface SubjectVersion extends RegisteredSchema {
  subject: string;
  version: number;
}

export interface RegistryOptions {
  /** Base URL, e.g. `http://registry:8081`. */
  url: string;
  /** Extra request headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
}

/** The registry's answer for an id it does not hold (the record is bad, not the registry). */
export const UNKNOWN = Symbol('unknown schema id');

interface RegistryBody {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
  id?: unknown;
  subject?: unknown;
  version?: unknown;
  error_code?: unknown;
  message?: unknown;
}

export class SchemaRegistryClient {
  private readonly base: string;
  private readonly byId = new Map<number, Promise<RegisteredSchema | typeof UNKNOWN>>();

  constructor(private readonly opts: RegistryOptions) {
    this.base = opts.url.replace(/\/+$/, '');
  }

  /** The schema registered under `id`, or UNKNOWN when the registry has none (fetched once). */
  schemaById(id: number): Promise<RegisteredSchema | typeof UNKNOWN> {
    let p = this.byId.get(id);
    if (p === undefined) {
      p = this.get(`/schemas/ids/${id}`, { id }).then((r) =>
        r === UNKNOWN ? UNKNOWN : toSchema(r, id, `/schemas/ids/${id}`),
      );
      // A failed request is not kept: the next batch asks again.
      p.catch(() => this.byId.delete(id));
      this.byId.set(id, p);
    }
    return p;
  }

  /** The latest version of a subject. */
  latest(subject: string): Promise<SubjectVersion> {
    return this.subjectVersion(subject, 'latest');
  }

  /** One version of a subject (`GET /subjects/{subject}/versions/{version}`); an unknown one is an error. */
  async subjectVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    const path = `/subjects/${encodeURIComponent(subject)}/versions/${version}`;
    const r = await this.get(path, { subject, version });
    if (r === UNKNOWN) {
      throw new KrangeError(
        'KRANGE_SCHEMA_REGISTRY',
        `the schema registry ${this.base} has no subject '${subject}'${version === 'latest' ? '' : ` version ${version}`}`,
        { details: { url: this.base, subject, version } },
      );
    }
    const id = typeof r.id === 'number' ? r.id : Number.NaN;
    return { ...toSchema(r, id, path), subject, version: Number(r.version) };
  }

  private async get(
    path: string,
    where: Record<string, string | number>,
  ): Promise<RegistryBody | typeof UNKNOWN> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/vnd.schemaregistry.v1+json', ...this.opts.headers },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new KrangeError(
        'KRANGE_SCHEMA_REGISTRY',
        `cannot reach the schema registry at ${url}: ${(err as Error).message}. Check the registry URL and that it is up; the task is retried`,
        { retriable: true, details: { url, ...where }, cause: err },
      );
    }
    const body = (await res.json().catch(() => ({}))) as RegistryBody;
    // 40401 subject not found, 40402 version not found, 40403 schema not found.
    if (res.status === 404 && [40401, 40402, 40403].includes(Number(body.error_code))) return UNKNOWN;
    if (!res.ok) {
      throw new KrangeError(
        'KRANGE_SCHEMA_REGISTRY',
        `the schema registry answered ${res.status} for ${url}: ${String(body.message ?? res.statusText)}`,
        {
          retriable: res.status >= 500 || res.status === 429,
          details: { url, status: res.status, ...where },
        },
      );
    }
    return body;
  }
}

function toSchema(r: RegistryBody, id: number, path: string): RegisteredSchema {
  if (typeof r.schema !== 'string') {
    throw new KrangeError(
      'KRANGE_SCHEMA_REGISTRY',
      `the schema registry's answer to ${path} holds no schema text`,
      {
        details: { path },
      },
    );
  }
  const type = r.schemaType ?? 'AVRO';
  if (type !== 'AVRO' && type !== 'PROTOBUF' && type !== 'JSON') {
    throw new KrangeError('KRANGE_SCHEMA_REGISTRY', `unknown schemaType '${String(type)}' at ${path}`, {
      details: { path },
    });
  }
  return {
    id,
    schemaType: type,
    schema: r.schema,
    references: Array.isArray(r.references) ? (r.references as RegisteredSchema['references']) : [],
  };
}

/** The schema id of a Confluent-framed value (magic byte 0, then a 4-byte big-endian id). */
export function frameId(value: Buffer): number {
  if (value.length < 5 || value[0] !== 0) {
    throw new Error(
      `not a Confluent-framed value (magic byte ${value[0] ?? 'missing'}, ${value.length} bytes; expected 0 and a 4-byte schema id)`,
    );
  }
  return value.readInt32BE(1);
}

/** The distinct schema ids of a batch's framed values (others are left to decode() to refuse). */
export function frameIds(values: Iterable<Buffer | null>): Set<number> {
  const ids = new Set<number>();
  for (const v of values) if (v !== null && v.length >= 5 && v[0] === 0) ids.add(v.readInt32BE(1));
  return ids;
}

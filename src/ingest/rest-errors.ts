// The REST Proxy's error vocabulary: HTTP status plus a body `{error_code, message}`, where v2 codes
// are the status times 100 plus a sub code (40401 topic not found, 42201 record too large...) and v3
// codes are the HTTP status. One factory per case so messages stay consistent.

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'RestError';
  }

  body(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

/** A problem with one record of a request: its index, the field and why. */
export interface RecordProblem {
  index: number;
  /** Dotted path in the record, e.g. `value.data` or `records[3].partition`; job schema fields are `value.<field>`. */
  field: string;
  reason: string;
  /** HTTP-like status: 400 malformed, 404 unknown partition, 413 too large, 422 schema. */
  status: 400 | 404 | 413 | 422;
}

export const describeProblem = (p: RecordProblem): string =>
  `record ${p.index}: field '${p.field}': ${p.reason}`;

export type ApiVersion = 'v2' | 'v3';

export const RestErrors = {
  unauthorized(): RestError {
    return new RestError(
      401,
      40101,
      'Authentication required: send Authorization: Bearer <token> (or Basic auth with the token as password)',
    );
  },
  forbidden(principal: string, topic: string): RestError {
    return new RestError(403, 40301, `Token '${principal}' may not write to topic '${topic}'`);
  },
  topicNotFound(v: ApiVersion, topic: string): RestError {
    return new RestError(
      404,
      v === 'v2' ? 40401 : 404,
      `Topic '${topic}' not found. Create it first (auto-creation is not done by the gateway)`,
    );
  },
  clusterNotFound(id: string): RestError {
    return new RestError(404, 404, `Cluster ${id} cannot be found.`);
  },
  notFound(path: string): RestError {
    return new RestError(404, 404, `HTTP 404 Not Found: no route ${path}`);
  },
  unsupportedMediaType(got: string | undefined, accepted: readonly string[]): RestError {
    return new RestError(
      415,
      415,
      `HTTP 415 Unsupported Media Type: got '${got ?? '(none)'}', expected ${accepted.join(' or ')}`,
    );
  },
  notAcceptable(accept: string): RestError {
    return new RestError(406, 406, `HTTP 406 Not Acceptable: cannot answer with '${accept}'`);
  },
  bodyTooLarge(limit: number): RestError {
    return new RestError(
      413,
      413,
      `Request body is larger than the limit of ${limit} bytes; send fewer records per request`,
    );
  },
  malformed(v: ApiVersion, what: string): RestError {
    return new RestError(400, v === 'v2' ? 400 : 400, `Bad Request: ${what}`);
  },
  recordsInvalid(v: ApiVersion, problems: RecordProblem[]): RestError {
    const first = problems[0];
    const tooLarge = problems.every((p) => p.status === 413);
    const status = v === 'v3' ? (first?.status ?? 400) : tooLarge ? 413 : 422;
    const code = v === 'v3' ? status : tooLarge ? 42201 : first?.status === 404 ? 42202 : 42200;
    const list = problems.slice(0, 10).map(describeProblem).join('; ');
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    return new RestError(
      status,
      code,
      `${problems.length} invalid record(s), none of this request was stored: ${list}${more}`,
    );
  },
  throttled(reason: 'budget' | 'rate', retryAfterSeconds: number): RestError {
    const why =
      reason === 'budget'
        ? 'the gateway has its in-flight byte budget in use (Kafka is slower than the input)'
        : 'this token is over its records-per-second limit';
    return new RestError(
      429,
      42901,
      `Too Many Requests: ${why}; retry after ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  },
  shuttingDown(): RestError {
    return new RestError(
      503,
      50301,
      'Service Unavailable: the gateway is shutting down; retry on another instance or later',
      1,
    );
  },
  kafka(message: string): RestError {
    return new RestError(
      500,
      50002,
      `Kafka error: ${message}. The records may or may not be stored; retrying is safe for keyed sinks (at-least-once)`,
    );
  },
  internal(): RestError {
    return new RestError(500, 50001, 'Internal Server Error');
  },
};

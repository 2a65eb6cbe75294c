// Where the agent sends its lines: an ingest gateway (REST Proxy v3 or v2) or Kafka directly. A
// send reports, per line, stored / rejected for good (bad input: never retried) / to retry; a
// failure of the whole call is thrown as a KrangeError whose `retriable` drives the retry loop.

import { Errors, KrangeError } from '../errors.ts';

export interface OutLine {
  /** The line's text (NDJSON). */
  text: string;
  /** Kafka key, when the agent derives one (--key-field). */
  key: string | null;
}

export interface SendOutcome {
  /** Per line, in order. */
  results: ({ kind: 'stored' } | { kind: 'rejected'; reason: string } | { kind: 'retry'; reason: string })[];
  /** Server's Retry-After, seconds, when it asked to slow down. */
  retryAfterSeconds?: number | undefined;
}

export interface Sender {
  /** What logs call the destination (no secrets). */
  readonly target: string;
  send(lines: OutLine[]): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** A whole call failed and may succeed later (network error, 429, 5xx). */
export function transientSendError(
  target: string,
  reason: string,
  retryAfterSeconds?: number,
  cause?: unknown,
): KrangeError {
  return new KrangeError('KRANGE_INGEST', `sending to ${target} failed: ${reason}; retrying`, {
    retriable: true,
    cause,
    details: { target, retryAfterSeconds },
  });
}

/** A call failed in a way retrying cannot fix (auth, unknown topic, wrong content type). */
export function fatalSendError(target: string, reason: string): KrangeError {
  return Errors.config(
    `sending to ${target} failed: ${reason}; fix the agent's options or the gateway's tokens`,
    {
      target,
    },
  );
}

// Token auth for the gateway: a token maps to the topics it may write (exact names, `prefix*`, or
// `*`). Presented tokens are compared in constant time against every configured token (no early
// exit, no length leak: both sides are SHA-256 digests). Tokens never appear in logs or metrics;
// a rule is named by its `name`.

import { createHash, timingSafeEqual } from 'node:crypto';

export interface TokenRule {
  /** What logs and errors call this token (never the token itself). */
  name: string;
  token: string;
  /** Topic names, `prefix*` patterns, or `*` for every topic. */
  topics: string[];
  /** Records per second this token may send (token bucket), unlimited when absent. */
  recordsPerSecond?: number | undefined;
  /** Bucket size: records a burst may carry above the rate; default one second's worth. */
  burst?: number | undefined;
}

export interface Principal {
  name: string;
  topics: string[];
  recordsPerSecond?: number | undefined;
  burst?: number | undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The token a request carries: `Authorization: Bearer <token>` or Basic auth whose password is the token. */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(authorization);
  if (m === null) return undefined;
  if ((m[1] as string).toLowerCase() === 'bearer') return m[2];
  const decoded = Buffer.from(m[2] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

export function topicAllowed(patterns: readonly string[], topic: string): boolean {
  for (const p of patterns) {
    if (p === '*' || p === topic) return true;
    if (p.endsWith('*') && topic.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

export class TokenTable {
  private readonly rules: { hash: Buffer; principal: Principal }[];

  constructor(rules: readonly TokenRule[]) {
    this.rules = rules.map((r) => ({
      hash: digest(r.token),
      principal: { name: r.name, topics: r.topics, recordsPerSecond: r.recordsPerSecond, burst: r.burst },
    }));
  }

  /** No tokens configured: the gateway is open (allowed on loopback only, see ingest-config.ts). */
  get open(): boolean {
    return this.rules.length === 0;
  }

  /** The principal of a presented token, or undefined. Looks at every rule whatever matches. */
  authenticate(token: string | undefined): Principal | undefined {
    if (token === undefined) return undefined;
    const h = digest(token);
    let found: Principal | undefined;
    for (const r of this.rules) {
      if (timingSafeEqual(h, r.hash) && found === undefined) found = r.principal;
    }
    return found;
  }
}

/** Parses `KRANGE_INGEST_TOKENS`: `name:token=topic1,topic2;other:token2=logs-*` (name optional). */
export function parseTokenEnv(text: string): TokenRule[] {
  const rules: TokenRule[] = [];
  text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .forEach((entry, i) => {
      const eq = entry.lastIndexOf('=');
      if (eq <= 0) throw new Error(`token entry ${i + 1} has no '=topics' part`);
      const left = entry.slice(0, eq);
      const colon = left.indexOf(':');
      const name = colon > 0 ? left.slice(0, colon) : `token-${i + 1}`;
      const token = colon > 0 ? left.slice(colon + 1) : left;
      const topics = entry
        .slice(eq + 1)
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t.length > 0);
      rules.push({ name, token, topics });
    });
  return rules;
}

// The console's guards: where it may listen, who may act, what leaves it. Reads need no token on
// any address (they hold no secret: URLs with credentials are masked); actions always need
// KRANGE_CONSOLE_TOKEN, compared in constant time; a non-loopback address needs a token to start.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../errors.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses to listen beyond this machine without a token. */
export function checkBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && (token === undefined || token.length < 16)) {
    throw Errors.usage(
      `refusing to serve the console on ${host} without a token: set KRANGE_CONSOLE_TOKEN ` +
        '(16 characters or more) or listen on 127.0.0.1',
    );
  }
}

/** Constant-time comparison (over digests, so unequal lengths take the same time too). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of a request: `Authorization: Bearer <token>`. */
export function requestToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h === undefined ? null : /^Bearer (.+)$/.exec(h);
  return m?.[1];
}

/** Replies 401/403 and returns false unless the request carries the console token. */
export function authorise(req: FastifyRequest, reply: FastifyReply, token: string | undefined): boolean {
  if (token === undefined) {
    void reply.code(403).send({
      error_code: 403,
      message: 'actions are disabled: start krange serve with KRANGE_CONSOLE_TOKEN set',
    });
    return false;
  }
  const given = requestToken(req);
  if (given === undefined || !tokenMatches(given, token)) {
    void reply.code(401).send({ error_code: 401, message: 'this action needs the console token' });
    return false;
  }
  return true;
}

const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s@]+)@/gi;

/** `scheme://user:secret@host` -> `scheme://***@host`, anywhere in a string. */
export function maskCredentials(s: string): string {
  return s.replace(CREDENTIALS, '$1***@');
}

/** JSON.stringify replacer: masks credentials in every string, keeps bigints exact as strings. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'string' ? maskCredentials(v) : typeof v === 'bigint' ? v.toString() : v,
  );
}

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

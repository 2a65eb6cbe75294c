// Deterministic demo click events: event i is always the same, so demo data, tests and benchmarks
// are reproducible. About 200 bytes of JSON each.

/** A type alias (not an interface), so a ClickEvent is a Row a job can return as it is. */
export type ClickEvent = {
  event_id: string;
  user_id: number;
  session_id: string;
  ts: string;
  url: string;
  referrer: string | null;
  country: string;
  device: string;
  price: number | null;
  tags: string[];
};

const URLS = ['/', '/search', '/product/42', '/product/7', '/cart', '/checkout', '/help', '/product/1001'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA'];
const DEVICES = ['desktop', 'mobile', 'tablet'];
const TAGS = ['promo', 'new', 'returning', 'ad', 'email'];

/** A small, fast, seedable PRNG (mulberry32); the tests use it too, so a failing run can be replayed. */
export function rand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Event i; timestamps step 50 ms from `startMs`, so N events span N/20 seconds. */
export function clickEvent(i: number, startMs = Date.UTC(2026, 10, 24, 0, 0, 0)): ClickEvent {
  const r = rand(i * 2654435761);
  const url = URLS[Math.floor(r() * URLS.length)]!;
  const isProduct = url.startsWith('/product') || url === '/checkout';
  return {
    event_id: `evt-${i.toString(36).padStart(8, '0')}`,
    user_id: 1 + Math.floor(r() * 100_000),
    session_id: `s-${Math.floor(r() * 1e9).toString(36)}`,
    ts: new Date(startMs + i * 50).toISOString(),
    url,
    referrer: r() < 0.3 ? null : `https://ref.example/${Math.floor(r() * 100)}`,
    country: COUNTRIES[Math.floor(r() * COUNTRIES.length)]!,
    device: DEVICES[Math.floor(r() * DEVICES.length)]!,
    price: isProduct ? Math.round(r() * 20000) / 100 : null,
    tags: TAGS.filter(() => r() < 0.25),
  };
}

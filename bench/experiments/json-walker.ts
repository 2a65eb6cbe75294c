// The columnar path's walker alone (records/json-walker.ts): 200,000 demo values in one buffer,
// vouched for 7 times, CPU ms of each round. Run it bundled, as the CLI runs it (under tsx every
// call costs about twice as much):
//   npx esbuild bench/experiments/json-walker.ts --bundle --platform=node --format=esm --outfile=/tmp/walker.mjs && node /tmp/walker.mjs
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { t } from '../../src/job/schema.ts';
import { JsonWalker } from '../../src/records/json-walker.ts';

const fields = Object.entries({
  event_id: t.utf8(),
  user_id: t.int64(),
  session_id: t.utf8(),
  ts: t.timestamp('ms'),
  url: t.utf8(),
  referrer: t.nullable(t.utf8()),
  country: t.utf8(),
  device: t.utf8(),
  price: t.nullable(t.float64()),
  tags: t.list(t.utf8()),
}).map(([key, type]) => ({ key, type }));
const n = 200000;
const parts: Buffer[] = [];
const starts: number[] = [];
let pos = 0;
for (let i = 0; i < n; i++) {
  const b = Buffer.from(JSON.stringify(clickEvent(i)));
  starts.push(pos);
  pos += b.length;
  parts.push(b);
}
starts.push(pos);
const buf = Buffer.concat(parts);
const out: number[] = [];
for (let r = 0; r < 7; r++) {
  const w = new JsonWalker(fields);
  const c = process.cpuUsage();
  let ok = 0;
  for (let i = 0; i < n; i++) if (w.vouch(buf, starts[i]!, starts[i + 1]!)) ok++;
  const u = process.cpuUsage(c);
  if (ok !== n) throw new Error('not all vouched');
  out.push(Math.round((u.user + u.system) / 1000));
}
console.log(`walker ms: ${out.join(' ')} median ${[...out].sort((a, b) => a - b)[3]}`);

// DuckDB's reference for W1 (bench/w1-side-by-side.ts): the demo job's rows from a local NDJSON file
// (bench/lib/ndjson-topic.ts) to snappy Parquet partitioned by the event's date, as the job writes
// them: read_json with the job's twelve fields and types, dt = the UTC date of ts. Run as its own
// process so its CPU time and memory are measured like the other engines'. Plain JavaScript: no
// loader in the measured process.
//   node bench/lib/duckdb-ndjson.mjs <file.ndjson> <output dir> [threads]
import { DuckDBInstance } from '@duckdb/node-api';

const [file, outDir, threads = '2'] = process.argv.slice(2);
if (file === undefined || outDir === undefined) {
  process.stderr.write('usage: duckdb-ndjson.mjs <file.ndjson> <output dir> [threads]\n');
  process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
// The job's schema (jobs/clickstream.ts), field for field.
const COLUMNS = `{
  event_id: 'VARCHAR', user_id: 'BIGINT', session_id: 'VARCHAR', ts: 'TIMESTAMP', url: 'VARCHAR',
  referrer: 'VARCHAR', country: 'VARCHAR', device: 'VARCHAR', price: 'DOUBLE', tags: 'VARCHAR[]',
  kafka_partition: 'INTEGER', kafka_offset: 'BIGINT'
}`;
const started = performance.now();
const db = await DuckDBInstance.create(':memory:', { threads });
const conn = await db.connect();
await conn.run(`COPY (
  SELECT *, strftime(ts, '%Y-%m-%d') AS dt
  FROM read_json(${quote(file)}, format = 'newline_delimited', columns = ${COLUMNS})
) TO ${quote(outDir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt))`);
conn.closeSync();
process.stdout.write(`${JSON.stringify({ totalMs: Math.round(performance.now() - started) })}\n`);

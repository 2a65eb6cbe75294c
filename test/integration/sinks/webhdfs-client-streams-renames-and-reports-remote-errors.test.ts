// krange's WebHDFS client (src/fs/webhdfs-client.ts) against a real NameNode and DataNode: a 20 MB
// file streamed in by the two-step CREATE, listed, read back byte for byte, renamed over an existing
// file (rename2 OVERWRITE), deleted; a refusal carries the Java class and is not retried.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { hdfsClient } from '../../helpers/duckdb.ts';
import { uniqueName } from '../../helpers/kafka.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the WebHDFS client', () => {
  it('creates, lists, opens, renames and deletes a 20 MB file', async () => {
    const c = hdfsClient();
    const dir = `/krange-test/${uniqueName('smoke')}`;
    const data = randomBytes(20 * 1024 * 1024);
    await c.mkdirs(dir);
    // A streaming body, in 1 MiB chunks, as the Parquet sink sends it.
    const chunks = Array.from({ length: 20 }, (_, i) => data.subarray(i << 20, (i + 1) << 20));
    await c.create(`${dir}/a.bin`, Readable.from(chunks));
    const listing = await c.listStatus(dir);
    expect(listing.map((s) => [s.pathSuffix, s.type, s.length])).toEqual([['a.bin', 'FILE', data.length]]);
    expect(sha(await c.readFile(`${dir}/a.bin`))).toBe(sha(data));

    await c.create(`${dir}/b.bin`, Buffer.from('old'));
    await c.rename(`${dir}/a.bin`, `${dir}/b.bin`, { overwrite: true });
    expect((await c.listStatus(dir)).map((s) => s.pathSuffix)).toEqual(['b.bin']);
    expect(sha(await c.readFile(`${dir}/b.bin`))).toBe(sha(data));

    expect(await c.delete(dir, { recursive: true })).toBe(true);
    expect(await c.getFileStatus(dir)).toBeUndefined();
    expect(await c.delete(dir, { recursive: true })).toBe(false);
  });

  it('reports the RemoteException class and message', async () => {
    const c = hdfsClient();
    try {
      await c.listStatus(`/krange-test/${uniqueName('missing')}`);
      expect.unreachable();
    } catch (err) {
      expect(isKrangeError(err, 'KRANGE_HDFS')).toBe(true);
      expect((err as Error).message).toMatch(/java\.io\.FileNotFoundException/);
      // A refusal, not an outage: reported at once, never retried for the whole budget.
      expect((err as { retriable: boolean }).retriable).toBe(false);
    }
  });
});

// Both OutputFs implementations (local disk and HDFS through WebHDFS) pass the same suite: what the
// Parquet sink relies on, including rename replacing a file and non-recursive delete semantics.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LocalFs } from '../../../src/fs/local-fs.ts';
import type { OutputFs } from '../../../src/fs/output-fs.ts';
import { WebHdfsFs } from '../../../src/fs/webhdfs-fs.ts';
import { hdfsClient } from '../../helpers/duckdb.ts';
import { uniqueName } from '../../helpers/kafka.ts';

const implementations: [string, () => { fs: OutputFs; root: string }][] = [
  ['file://', () => ({ fs: new LocalFs(), root: mkdtempSync(join(tmpdir(), 'krange-fs-')) })],
  ['webhdfs://', () => ({ fs: new WebHdfsFs(hdfsClient()), root: `/krange-test/${uniqueName('fs')}` })],
];

describe.each(implementations)('OutputFs %s', (_name, make) => {
  it('writes, lists, replaces by rename and deletes like HDFS', async () => {
    const { fs, root } = make();
    expect(await fs.list(`${root}/missing`)).toEqual([]);
    expect(await fs.exists(`${root}/a`)).toBe(false);
    await fs.writeStream(`${root}/tmp/a.bin`, Readable.from([Buffer.from('new '), Buffer.from('content')]));
    await fs.writeStream(`${root}/out/a.bin`, Readable.from([Buffer.from('old')]));
    expect((await fs.readFile(`${root}/tmp/a.bin`)).toString()).toBe('new content');
    await fs.rename(`${root}/tmp/a.bin`, `${root}/out/a.bin`);
    expect((await fs.readFile(`${root}/out/a.bin`)).toString()).toBe('new content');
    expect(await fs.list(`${root}/tmp`)).toEqual([]);
    await fs.rename(`${root}/out/a.bin`, `${root}/deep/new/dir/a.bin`);
    expect(await fs.list(`${root}/deep/new/dir`)).toEqual(['a.bin']);
    // A non-recursive delete refuses a non-empty directory and removes an empty one.
    await expect(fs.delete(`${root}/deep/new/dir`, false)).rejects.toThrow();
    expect(await fs.delete(`${root}/tmp`, false)).toBe(true);
    expect(await fs.delete(`${root}`, true)).toBe(true);
    expect(await fs.exists(root)).toBe(false);
    expect(await fs.delete(`${root}`, true)).toBe(false);
  });
});

// Which backend a state location names, and what the job's `stateStore` option accepts.
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { stateStoreSchema } from '../../../src/job/options/state-store-options.ts';
import { FileStateBackend } from '../../../src/state/file-state-backend.ts';
import { PostgresStateBackend } from '../../../src/state/postgres-state-backend.ts';
import {
  defaultStateLocation,
  isLocalLocation,
  openStateBackend,
} from '../../../src/state/state-location.ts';
import { WebHdfsStateBackend } from '../../../src/state/webhdfs-state-backend.ts';

const endpoints = {
  webhdfsUrl: 'http://namenode:9870',
  hdfsUser: 'krange',
  pgUrl: 'postgres://krange:pw@pg:5432/krange',
  retryBudgetMs: 1000,
};

describe('state locations', () => {
  it('opens a directory, file://, webhdfs:// and postgres stores, each named without a password', async () => {
    const dir = openStateBackend('state', endpoints);
    expect(dir).toBeInstanceOf(FileStateBackend);
    expect(dir.describe('j/offsets/1.json')).toBe('state/j/offsets/1.json');
    expect(openStateBackend('file:///srv/state', endpoints).describe('j')).toBe('/srv/state/j');
    const hdfs = openStateBackend('webhdfs:///krange/state', endpoints);
    expect(hdfs).toBeInstanceOf(WebHdfsStateBackend);
    expect(hdfs.describe('j/commits/2.json')).toBe('webhdfs:///krange/state/j/commits/2.json');
    // Opened once per location and process.
    expect(openStateBackend('webhdfs:///krange/state', endpoints)).toBe(hdfs);
    const pg = openStateBackend('postgres://krange:s3cret@pg:5432/db', endpoints);
    expect(pg).toBeInstanceOf(PostgresStateBackend);
    expect(pg.location).toBe('postgres://krange:s3cret@pg:5432/db');
    expect(pg.describe('j/metadata.json')).toBe(
      "postgres://krange@pg:5432/db (table krange_state, path 'j/metadata.json')",
    );
    expect(openStateBackend('postgres:', endpoints).describe('j')).toBe(
      "postgres: (table krange_state, path 'j')",
    );
    await Promise.all([pg.close(), openStateBackend('postgres:', endpoints).close()]);
  });

  it('refuses a scheme it does not know, naming the forms it accepts', () => {
    const err = (() => {
      try {
        openStateBackend('s3://bucket/state', endpoints);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isKrangeError(err, 'KRANGE_CONFIG')).toBe(true);
    expect((err as Error).message).toMatch(
      /unsupported state store 's3:\/\/bucket\/state'.*webhdfs:\/\/\/dir, postgres:/,
    );
    expect(stateStoreSchema.safeParse('s3://bucket/state').success).toBe(false);
    for (const ok of [
      'state',
      '/abs/state',
      'file:///abs',
      'webhdfs:///krange/state',
      'postgres:',
      'postgresql://u@h/db',
    ])
      expect(stateStoreSchema.safeParse(ok).success, ok).toBe(true);
  });

  it('defaults to KRANGE_STATE_URL, else KRANGE_STATE_DIR, else ./state', () => {
    const saved = { url: process.env['KRANGE_STATE_URL'], dir: process.env['KRANGE_STATE_DIR'] };
    try {
      delete process.env['KRANGE_STATE_URL'];
      delete process.env['KRANGE_STATE_DIR'];
      expect(defaultStateLocation()).toBe('state');
      process.env['KRANGE_STATE_DIR'] = '/var/krange';
      expect(defaultStateLocation()).toBe('/var/krange');
      process.env['KRANGE_STATE_URL'] = 'postgres:';
      expect(defaultStateLocation()).toBe('postgres:');
      expect(isLocalLocation('postgres:')).toBe(false);
      expect(isLocalLocation('file:///x')).toBe(true);
      expect(isLocalLocation('relative/dir')).toBe(true);
    } finally {
      for (const [k, v] of [
        ['KRANGE_STATE_URL', saved.url],
        ['KRANGE_STATE_DIR', saved.dir],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});

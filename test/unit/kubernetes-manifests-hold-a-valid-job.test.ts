// The Kubernetes manifests under docker/kubernetes/ are schema-checked by `make lint`
// (scripts/validate-kubernetes.sh); this test checks what a schema cannot: the job module shipped in
// the ConfigMap loads as a krange job, and the commands and flags the Deployments start exist.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadJob } from '../../src/job/job-loader.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = join(root, 'docker/kubernetes');

interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS() as Manifest);
}

// One level below the repository, like jobs/, so the ConfigMap's '../src/index.ts' resolves.
const jobsDir = mkdtempSync(join(root, '.k8s-jobs-'));
afterAll(() => rmSync(jobsDir, { recursive: true, force: true }));

describe('docker/kubernetes', () => {
  it('ships a ConfigMap whose job modules load as krange jobs', async () => {
    const [configMap] = manifests('jobs-configmap.yaml');
    const files = Object.entries(configMap?.data ?? {});
    expect(files.length).toBeGreaterThan(0);
    for (const [file, source] of files) {
      writeFileSync(join(jobsDir, file), source);
      const loaded = await loadJob(join(jobsDir, file));
      expect(loaded.spec.name).toBe(file.replace(/\.m?ts$/, ''));
      expect(loaded.spec.schedule).toBeDefined();
      expect(loaded.spec.executors).toBe('bullmq');
    }
  }, 60_000);

  it.each([
    ['scheduler.yaml', 'schedule'],
    ['executor.yaml', 'executor'],
  ])(
    '%s starts krange %s with flags the command accepts',
    (file, command) => {
      const deployment = manifests(file).find((m) => m.kind === 'Deployment');
      const args = deployment?.spec?.template?.spec?.containers?.[0]?.args ?? [];
      expect(args[0]).toBe(command);
      const help = execFileSync(process.execPath, [join(root, 'bin/krange.mjs'), command, '--help'], {
        encoding: 'utf8',
      });
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(help).toContain(`${flag} `);
    },
    60_000,
  );
});

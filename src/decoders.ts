// Record value decoders: json (default), string, bytes, or a job's own { name, decode }.

import type { JobSpec } from './job/job-spec.ts';

export type Decode = (value: Buffer | null) => unknown;

export function decoderFor(spec: JobSpec['decoder']): Decode {
  if (typeof spec === 'object') return spec.decode;
  switch (spec) {
    case 'json':
      return (v) => (v === null ? null : JSON.parse(v.toString('utf8')));
    case 'string':
      return (v) => (v === null ? null : v.toString('utf8'));
    case 'bytes':
      return (v) => v;
  }
}

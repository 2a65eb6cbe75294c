// The layer rule of src/, checked by `make lint` (ARCHITECTURE.md, "Layers"): a folder may import
// only from folders of a LOWER rank, never from a higher one nor from another folder of its own
// rank; files inside one folder import each other freely. The root files (errors, log-events,
// logger, offset-range, retry, debug-pause) are the vocabulary under everything; src/index.ts, the public API,
// stands above everything. A new folder must be given a rank here before it may import anything.

/** Bottom to top; folders on one line are peers and must not import each other. */
const LAYERS = [
  ['job'], // the job's definition: spec, options, schema, endpoints, loading and load-time checks
  ['plan'], // pure planning math
  ['records'], // record vocabulary, decoders, schema coercion, record processor (no I/O)
  ['fs', 'kafka'], // adapters: file systems, Kafka
  ['state'], // the job's state and lock, in a store on files, WebHDFS (fs/) or PostgreSQL
  ['sinks', 'metrics'], // outputs (and dead letters); the process's metrics
  ['worker'], // the thread boundary
  ['executor'], // `krange executor`: tasks from BullMQ on warm worker threads
  ['batch', 'aggregator', 'ingest', 'demo'], // the commands' engines
  ['push', 'console'], // the sender agent (uses ingest's wire format); the web console
  ['cli'], // the command line: everything above meets here
];

const ranked = LAYERS.flat();
const alt = (names) => `(${names.join('|')})`;

const layerRules = LAYERS.flatMap((peers, rank) => {
  const notBelow = LAYERS.slice(rank).flat();
  return peers.map((folder) => {
    const forbidden = notBelow.filter((f) => f !== folder);
    return {
      name: `layer-${folder}`,
      comment: `src/${folder}/ (rank ${rank + 1}) may import only from lower layers, never from ${forbidden.join(', ')}; move the shared code down (see LAYERS in .dependency-cruiser.cjs)`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: `^src/${alt(forbidden)}/` },
    };
  });
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'vocabulary-stays-at-the-bottom',
      comment:
        'the root files of src/ (errors, log-events, logger, offset-range, retry, debug-pause) are the vocabulary every layer uses: they import no folder of src/',
      severity: 'error',
      from: { path: '^src/[^/]+$', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'nothing-imports-the-public-api',
      comment: 'src/index.ts is the package entry, above every layer; inside src/ import the module itself',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'unranked-folder',
      comment: 'every folder of src/ has a rank in LAYERS of .dependency-cruiser.cjs (and a row in ARCHITECTURE.md)',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: `^src/${alt(ranked)}/` },
      to: {},
    },
    {
      name: 'src-does-not-import-tests-or-benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'src-does-not-import-bin',
      comment: 'bin/ starts the compiled CLI (dist/); src/ is what it starts, never the other way round',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^bin/' },
    },
  ],
  options: {
    // src/ is cruised; bin/, test/ and bench/ are in the graph only so a src/ import of them is seen.
    includeOnly: '^(src|bin|test|bench)/',
    doNotFollow: { path: ['node_modules', '^(bin|test|bench)/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mts', '.mjs', '.js'] },
  },
};

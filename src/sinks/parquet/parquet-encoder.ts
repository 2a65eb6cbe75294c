// The Parquet encoder behind one small interface: Arrow record batches in, Parquet bytes out as a
// stream (one row group per batch), so a file of any size is written with memory for one batch.
// Implementation: parquet-wasm (Rust parquet crate in WebAssembly), picked by measurement; see
// BENCHMARKS.md (bench/parquet-encoders.ts compares it with hyparquet-writer and parquetjs-lite).

import { Readable } from 'node:stream';
import { Table as ArrowTable, type RecordBatch, tableToIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';

export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none';

export interface ParquetWriteOptions {
  compression: ParquetCompression;
  rowGroupSize: number;
  /** Written into the footer's key-value metadata. */
  metadata?: Record<string, string>;
  /**
   * Integer columns (int64, timestamps) written DELTA_BINARY_PACKED without a dictionary: offsets,
   * ids and times are mostly unique, so a dictionary only costs time. Measured on the demo job:
   * encoder CPU -18%, files -39% (bench/experiments/parquet-encoding.ts).
   */
  deltaColumns?: string[];
  /** Columns written PLAIN, without a dictionary (mostly-distinct strings: ids, UUIDs). */
  plainColumns?: string[];
}

export interface ParquetFileWriter {
  /** The Parquet bytes, produced as batches are written; ends after the footer. */
  readonly output: Readable;
  /** Adds a batch; resolves when the encoder has taken it (backpressure). */
  write(batch: RecordBatch): Promise<void>;
  /** No more batches: the footer follows. */
  close(): void;
}

const CODECS: Record<ParquetCompression, pw.Compression> = {
  snappy: pw.Compression.SNAPPY,
  zstd: pw.Compression.ZSTD,
  gzip: pw.Compression.GZIP,
  none: pw.Compression.UNCOMPRESSED,
};

export function openParquetWriter(opts: ParquetWriteOptions): ParquetFileWriter {
  let builder = new pw.WriterPropertiesBuilder()
    .setCompression(CODECS[opts.compression])
    .setMaxRowGroupSize(opts.rowGroupSize)
    .setCreatedBy('krange');
  if (opts.metadata) builder = builder.setKeyValueMetadata(new Map(Object.entries(opts.metadata)));
  for (const c of opts.deltaColumns ?? []) {
    builder = builder
      .setColumnDictionaryEnabled(c, false)
      .setColumnEncoding(c, pw.Encoding.DELTA_BINARY_PACKED);
  }
  for (const c of opts.plainColumns ?? []) builder = builder.setColumnDictionaryEnabled(c, false);
  const props = builder.build();

  // A pull-driven source: the encoder asks for the next batch, write() hands one over and waits.
  const queue: { batch: pw.RecordBatch; taken: () => void }[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const source = new ReadableStream<pw.RecordBatch>(
    {
      async pull(controller) {
        while (queue.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
        const next = queue.shift();
        if (next) {
          controller.enqueue(next.batch);
          next.taken();
        } else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const output = Readable.fromWeb(
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        reader ??= (
          (await pw.transformParquetStream(source, props)) as ReadableStream<Uint8Array>
        ).getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
    }) as import('node:stream/web').ReadableStream,
  );

  return {
    output,
    write(batch) {
      const ipc = tableToIPC(new ArrowTable([batch]), 'stream');
      const wasmBatch = pw.Table.fromIPCStream(ipc).recordBatch(0);
      if (wasmBatch === undefined) return Promise.resolve();
      return new Promise<void>((taken) => {
        queue.push({ batch: wasmBatch, taken });
        wake?.();
      });
    },
    close() {
      closed = true;
      wake?.();
    },
  };
}

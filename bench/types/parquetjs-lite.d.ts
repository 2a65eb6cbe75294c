// The part of parquetjs-lite (untyped CommonJS) that bench/parquet-encoders.ts uses.
declare module 'parquetjs-lite' {
  export class ParquetSchema {
    constructor(
      fields: Record<string, { type: string; optional?: boolean; repeated?: boolean; compression?: string }>,
    );
  }
  export interface ParquetFileWriter {
    appendRow(row: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
  }
  export const ParquetWriter: {
    openFile(
      schema: ParquetSchema,
      path: string,
      opts?: { rowGroupSize?: number },
    ): Promise<ParquetFileWriter>;
  };
}

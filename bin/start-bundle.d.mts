// Types of start-bundle.mjs for src/cli/cli-bundle.ts.
export declare const CLI_CACHE: string;
export declare function namedJob(argv: string[]): string | undefined;
export declare function manifestPath(job: string | undefined): string;
export declare function startFromBundle(argv: string[]): Promise<boolean>;
export declare function contentHash(path: string): string;

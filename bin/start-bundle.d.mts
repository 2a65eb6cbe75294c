// Types of start-bundle.mjs for src/bundle/bundler.ts and src/bundle/cli-bundle.ts.
export declare function namedJob(argv: string[]): string | undefined;
export declare function manifestPath(cache: string, job: string | undefined): string;
export declare function freshBundle(manifestFile: string): string | undefined;
export declare function startFromBundle(argv: string[]): Promise<boolean>;
export declare function contentHash(path: string): string;

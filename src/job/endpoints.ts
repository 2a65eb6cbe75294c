// Where the services are: KRANGE_* environment variables, defaulting to the local stack's ports
// (scripts/services). Read once at the edge; everything else receives plain values.

export interface ServiceEndpoints {
  kafkaBrokers: string[];
  webhdfsUrl: string;
  hdfsUser: string;
  mongoUrl: string;
  redisUrl: string;
  pgUrl: string;
}

export function serviceEndpoints(env: NodeJS.ProcessEnv = process.env): ServiceEndpoints {
  return {
    kafkaBrokers: (env['KRANGE_KAFKA_BROKERS'] ?? '127.0.0.1:19092')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    webhdfsUrl: env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870',
    hdfsUser: env['KRANGE_HDFS_USER'] ?? 'krange',
    mongoUrl: env['KRANGE_MONGO_URL'] ?? 'mongodb://127.0.0.1:27117/?directConnection=true',
    redisUrl: env['KRANGE_REDIS_URL'] ?? 'redis://127.0.0.1:16379',
    pgUrl: env['KRANGE_PG_URL'] ?? 'postgres://krange@127.0.0.1:15432/krange',
  };
}

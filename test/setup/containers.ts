// Starts the five servers with testcontainers when a Docker engine answers. Host networking keeps
// the addresses the same as the local stack's, and lets the HDFS DataNode advertise 127.0.0.1 so
// WebHDFS redirects work from the host. (Linux only; on other hosts set the KRANGE_* variables.)

import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';

export interface StartedServers {
  env: Record<string, string>;
  stop: () => Promise<void>;
}

const hadoopEnv = {
  'CORE-SITE.XML_fs.defaultFS': 'hdfs://127.0.0.1:19000',
  'HDFS-SITE.XML_dfs.replication': '1',
  'HDFS-SITE.XML_dfs.permissions.enabled': 'false',
  'HDFS-SITE.XML_dfs.namenode.http-address': '127.0.0.1:19870',
  'HDFS-SITE.XML_dfs.namenode.rpc-address': '127.0.0.1:19000',
  'HDFS-SITE.XML_dfs.datanode.address': '127.0.0.1:19866',
  'HDFS-SITE.XML_dfs.datanode.http.address': '127.0.0.1:19864',
  'HDFS-SITE.XML_dfs.datanode.ipc.address': '127.0.0.1:19867',
  'HDFS-SITE.XML_dfs.datanode.hostname': '127.0.0.1',
  'HDFS-SITE.XML_dfs.namenode.datanode.registration.ip-hostname-check': 'false',
  'HDFS-SITE.XML_dfs.namenode.safemode.extension': '0',
  ENSURE_NAMENODE_DIR: '/tmp/hadoop-root/dfs/name',
};

export async function startContainers(): Promise<StartedServers> {
  const started: StartedTestContainer[] = [];
  const host = <T extends GenericContainer>(c: T): T => c.withNetworkMode('host') as T;
  const specs = [
    host(new GenericContainer('apache/kafka:4.4.0'))
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@127.0.0.1:19093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_NUM_PARTITIONS: '4',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/)),
    host(new GenericContainer('apache/hadoop:3.4.1'))
      .withEnvironment(hadoopEnv)
      .withCommand(['hdfs', 'namenode'])
      .withWaitStrategy(Wait.forLogMessage(/IPC Server listener on 19000: starting/)),
    host(new GenericContainer('apache/hadoop:3.4.1'))
      .withEnvironment(hadoopEnv)
      .withCommand(['hdfs', 'datanode'])
      .withWaitStrategy(Wait.forLogMessage(/Successfully sent block report/)),
    host(new GenericContainer('mongo:7')).withCommand([
      'mongod',
      '--port',
      '27117',
      '--bind_ip',
      '127.0.0.1',
    ]),
    host(new GenericContainer('redis:7')).withCommand([
      'redis-server',
      '--port',
      '16379',
      '--bind',
      '127.0.0.1',
    ]),
    host(new GenericContainer('postgres:16'))
      .withEnvironment({
        POSTGRES_USER: 'krange',
        POSTGRES_DB: 'krange',
        POSTGRES_HOST_AUTH_METHOD: 'trust',
        PGPORT: '15432',
      })
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2)),
  ];
  try {
    for (const c of specs) started.push(await c.start());
  } catch (err) {
    await Promise.allSettled(started.map((c) => c.stop()));
    throw err;
  }
  return {
    env: {
      KRANGE_KAFKA_BROKERS: '127.0.0.1:19092',
      KRANGE_WEBHDFS_URL: 'http://127.0.0.1:19870',
      KRANGE_MONGO_URL: 'mongodb://127.0.0.1:27117/?directConnection=true',
      KRANGE_REDIS_URL: 'redis://127.0.0.1:16379',
      KRANGE_PG_URL: 'postgres://krange@127.0.0.1:15432/krange',
    },
    stop: async () => {
      await Promise.allSettled(started.reverse().map((c) => c.stop()));
    },
  };
}

// The Avro variant of W1 done with Spark: what `krange run bench/jobs/clicks-avro.ts` does. One batch
// query over the whole topic (earliest to latest), bare Avro values decoded with from_avro
// (spark-avro) and the same .avsc file, the Kafka partition and offset added, written as snappy
// Parquet partitioned by dt = to_date(ts).
// Usage: SparkClickstreamAvro <bootstrap servers> <topic> <output uri> <avsc file>; prints one JSON
// line of figures.
package krange.bench;

import static org.apache.spark.sql.avro.functions.from_avro;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.to_date;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

public final class SparkClickstreamAvro {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: SparkClickstreamAvro <bootstrap servers> <topic> <output uri> <avsc file>");
      System.exit(2);
    }
    String avsc = Files.readString(Path.of(args[3]), StandardCharsets.UTF_8);
    long started = System.nanoTime();
    SparkSession spark = SparkSession.builder()
        .appName("krange-bench-clickstream-avro")
        .master(System.getProperty("bench.master", "local[2]"))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.compression.codec", "snappy")
        // Same physical type as krange's timestamp('ms') column (Spark's default is INT96).
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
        .config("spark.hadoop.dfs.client.use.datanode.hostname", "false")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    long sessionReady = System.nanoTime();

    Dataset<Row> kafka = spark.read()
        .format("kafka")
        .option("kafka.bootstrap.servers", args[0])
        .option("subscribe", args[1])
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .option("kafka.isolation.level", "read_committed")
        .load();
    Dataset<Row> rows = kafka
        .select(
            from_avro(col("value"), avsc).alias("v"),
            col("partition").alias("kafka_partition"),
            col("offset").alias("kafka_offset"))
        .select(col("v.*"), col("kafka_partition"), col("kafka_offset"))
        .withColumn("dt", to_date(col("ts")));
    rows.write().mode("overwrite").partitionBy("dt").parquet(args[2]);
    long done = System.nanoTime();
    System.out.printf(
        "{\"sessionMs\":%d,\"queryMs\":%d,\"totalMs\":%d}%n",
        (sessionReady - started) / 1_000_000,
        (done - sessionReady) / 1_000_000,
        (done - started) / 1_000_000);
    spark.stop();
  }
}

// What `krange run clickstream` does, done with Spark: one batch query over the whole topic
// (startingOffsets earliest, endingOffsets latest), JSON parsed with the job's schema, the Kafka
// partition and offset added, written as snappy Parquet partitioned by dt = to_date(ts).
// Usage: SparkClickstream <bootstrap servers> <topic> <output uri>; prints one JSON line of figures.
package krange.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.to_date;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

public final class SparkClickstream {
  /** jobs/clickstream.ts's schema, without the two Kafka columns (added from the source's). */
  static final StructType SCHEMA = new StructType()
      .add("event_id", DataTypes.StringType, false)
      .add("user_id", DataTypes.LongType, false)
      .add("session_id", DataTypes.StringType, false)
      .add("ts", DataTypes.TimestampType, false)
      .add("url", DataTypes.StringType, false)
      .add("referrer", DataTypes.StringType, true)
      .add("country", DataTypes.StringType, false)
      .add("device", DataTypes.StringType, false)
      .add("price", DataTypes.DoubleType, true)
      .add("tags", DataTypes.createArrayType(DataTypes.StringType, false), false);

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: SparkClickstream <bootstrap servers> <topic> <output uri>");
      System.exit(2);
    }
    long started = System.nanoTime();
    SparkSession spark = SparkSession.builder()
        .appName("krange-bench-clickstream")
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
            from_json(col("value").cast("string"), SCHEMA).alias("v"),
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

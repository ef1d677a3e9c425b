package dev.infopro.dl4j.cli;

import picocli.CommandLine.Option;

/**
 * {@code infopro train --spark MASTER}: data-parallel training by parameter averaging on Spark
 * ({@code infopro-spark}, docs/spark.md). {@code --batch} is then the batch size of each worker.
 */
class SparkRunOptions {
    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Train on Spark by parameter averaging: local[2], spark://HOST:7077, yarn, k8s://... "
                    + "(docs/spark.md). --batch is then per worker.")
    String master;

    @Option(names = "--workers", defaultValue = "0",
            description = "With --spark: partitions of the training data, one per worker (default: Spark's default parallelism).")
    int workers;

    @Option(names = "--averaging-frequency", defaultValue = "1", paramLabel = "H",
            description = "With --spark: mini-batches each worker trains between two averagings (default ${DEFAULT-VALUE}).")
    int averagingFrequency;

    @Option(names = "--aggregation-depth", defaultValue = "2",
            description = "With --spark: depth of treeAggregate's tree (default ${DEFAULT-VALUE}).")
    int aggregationDepth;

    @Option(names = "--threads-per-task", defaultValue = "0",
            description = "With --spark: native (OpenMP) threads of each task; set it to spark.task.cpus (default: ND4J's).")
    int threadsPerTask;

    @Option(names = "--checkpoint-rounds", defaultValue = "0", paramLabel = "N",
            description = "With --spark: also checkpoint after every N-th averaging round (default: at epoch ends only).")
    int checkpointRounds;

    @Option(names = "--executors-read-data",
            description = "With --spark: each executor reads --data DIR itself (DIR at the same path on every executor)"
                    + " instead of the driver loading and sending it.")
    boolean executorsReadData;

    /** Whether --spark was given. */
    boolean enabled() {
        return master != null;
    }

    /** Usage errors for the numbers. */
    void check() {
        UsageException.requireAtLeast("--workers", workers, 0);
        UsageException.requireAtLeast("--threads-per-task", threadsPerTask, 0);
        UsageException.requireAtLeast("--averaging-frequency", averagingFrequency, 1);
        UsageException.requireAtLeast("--aggregation-depth", aggregationDepth, 1);
        UsageException.requireAtLeast("--checkpoint-rounds", checkpointRounds, 0);
    }
}

package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.data.Augmentation;
import dev.infopro.dl4j.data.Normalization;
import lombok.Builder;
import lombok.NonNull;
import lombok.Value;

import java.io.Serializable;

/**
 * How {@link SparkLocalTrainer} trains: batch size per worker, averaging frequency H, the aggregation tree's depth,
 * native threads per task, and how each worker's shard is read (seed, shuffling, normalisation, augmentation, as
 * the library's {@link dev.infopro.dl4j.data.ImageDataSetIterator} does it). The number of workers is the number
 * of partitions of the records' RDD. Shipped to the executors with every round's task, hence serialisable.
 */
@Value
@Builder(toBuilder = true)
public class AveragingSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Mini-batch size of each worker's steps; one averaging round over N workers sees N x H x this many images. */
    @Builder.Default
    int batchSizePerWorker = 32;
    /** H: mini-batches each worker trains between two averagings. */
    @Builder.Default
    int averagingFrequency = 1;
    /** Depth of {@code treeAggregate}'s tree (2 sums partial results on executors before the driver). */
    @Builder.Default
    int aggregationDepth = 2;
    /**
     * OpenMP threads of a task's native ops (0: leave ND4J's default); set it to {@code spark.task.cpus} so that
     * tasks sharing an executor do not oversubscribe its cores.
     */
    int threadsPerTask;
    /** Seed of the shards' order and augmentation; partition p uses {@code seed + p}. */
    long seed;
    /** Whether each worker shuffles its shard every pass (false: index order). */
    @Builder.Default
    boolean shuffle = true;
    /** Per-channel normalisation of the features. */
    @NonNull
    Normalization normalization;
    /** Training augmentation. */
    @Builder.Default
    @NonNull
    Augmentation augmentation = Augmentation.NONE;

    /** Checks the numbers, with messages that say what to pass. */
    void check() {
        if (batchSizePerWorker < 1 || averagingFrequency < 1 || aggregationDepth < 1 || threadsPerTask < 0) {
            throw new IllegalArgumentException("batchSizePerWorker, averagingFrequency and aggregationDepth must be"
                    + " >= 1 and threadsPerTask >= 0, got " + batchSizePerWorker + ", " + averagingFrequency + ", "
                    + aggregationDepth + ", " + threadsPerTask);
        }
    }
}

package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataset;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Makes the RDD of {@link ImageRecord}s that {@link SparkLocalTrainer} trains on, one partition per worker. Record i
 * goes to partition {@code i % workers} (a uniform sample of the dataset in each, whatever order the files have),
 * and each partition is ordered by index when a task reads it.
 */
public final class SparkImageData {
    private SparkImageData() {
    }

    /** The images of {@code dataset} as records, in dataset order. */
    public static List<ImageRecord> records(ImageDataset dataset) {
        List<ImageRecord> out = new ArrayList<>(dataset.size());
        for (int i = 0; i < dataset.size(); i++) {
            out.add(record(dataset, i));
        }
        return out;
    }

    /**
     * Partitions a dataset that the driver has loaded (any of the library's readers, {@link Datasets#load}) across
     * {@code workers} partitions. The images pass through the driver once; for data too large for it, see
     * {@link #readOnExecutors}.
     */
    public static JavaRDD<ImageRecord> partition(JavaSparkContext sc, ImageDataset dataset, int workers) {
        checkWorkers(workers);
        List<Tuple2<Long, ImageRecord>> keyed = new ArrayList<>();
        for (ImageRecord r : records(dataset)) {
            keyed.add(new Tuple2<>(r.getIndex(), r));
        }
        // A Long key hashes to its value for values below 2^31, so HashPartitioner sends record i to i % workers.
        return sc.parallelizePairs(keyed, workers).partitionBy(new HashPartitioner(workers)).values();
    }

    /**
     * Each executor reads the training split of {@code dataSpec} ({@code fashion-mnist:DIR}, {@code cifar10:DIR}, ...,
     * as the tool's {@code --data}) from its own file system and keeps its partition's records, so no image passes
     * through the driver. DIR must be a path every executor sees (a shared or mounted file system: NFS, a
     * FUSE-mounted HDFS or S3 bucket); the readers read local files, not {@code hdfs://} URIs.
     *
     * @param trainSubset keep a reproducible random subset of this many images (0: all), as the tool's
     *                    {@code --train-subset}
     * @param seed        the subset's seed
     */
    public static JavaRDD<ImageRecord> readOnExecutors(JavaSparkContext sc, String dataSpec, int workers,
                                                       int trainSubset, long seed) {
        checkWorkers(workers);
        List<Integer> parts = IntStream.range(0, workers).boxed().collect(java.util.stream.Collectors.toList());
        return sc.parallelize(parts, workers).flatMap(p -> {
            ImageDataset train = loadTrain(dataSpec, trainSubset, seed);
            List<ImageRecord> mine = new ArrayList<>();
            for (int i = p; i < train.size(); i += workers) {
                mine.add(record(train, i));
            }
            return mine.iterator();
        });
    }

    private static ImageRecord record(ImageDataset d, int i) {
        int size = d.imageSize();
        return new ImageRecord(i, Arrays.copyOfRange(d.pixels(), i * size, (i + 1) * size), d.labels()[i]);
    }

    /** The training split of {@code dataSpec}, subset as {@link #readOnExecutors} does it. */
    public static ImageDataset loadTrain(String dataSpec, int trainSubset, long seed) {
        try {
            ImageDataset train = Datasets.load(dataSpec).getTrain();
            return trainSubset > 0 && trainSubset < train.size() ? train.subset(trainSubset, seed) : train;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + dataSpec + " on this executor: " + e.getMessage()
                    + " (the data must be at the same path on every executor, see docs/spark.md)", e);
        }
    }

    private static void checkWorkers(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
    }
}

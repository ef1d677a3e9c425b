package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.backend.NativeThreads;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.ModelVector;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * One averaging round on one partition: puts the broadcast state into this thread's replica of the model, trains it
 * for H mini-batches of its shard with the library's own step ({@link LocalModuleGraph#fit(org.nd4j.linalg.dataset.api.DataSet)}),
 * and returns the replica's state. Everything a round computes is a function of the broadcast state, the partition's
 * records and the round's first step: the shard's batches come from an {@link ImageDataSetIterator} positioned at
 * that step, and ND4J's random generator is seeded from it. So a task that Spark retries after a failure returns
 * exactly what the failed attempt would have, and a resumed run continues exactly.
 */
final class RoundTask implements Function2<Integer, Iterator<ImageRecord>, Iterator<StateSum>> {
    private static final long serialVersionUID = 1L;
    /**
     * This thread's replica, rebuilt when another model arrives. Loading it once per thread rather than once per
     * round saves a model build per round; it stays until the thread's next model (one model's memory per task slot).
     */
    private static final ThreadLocal<Replica> REPLICA = new ThreadLocal<>();

    private final Broadcast<byte[]> model;
    /** Tells models apart (broadcast ids start again at 0 in every SparkContext of a JVM). */
    private final long modelKey;
    private final Broadcast<StateSum> state;
    private final AveragingSettings settings;
    private final RecordLayout layout;
    private final int firstStep;
    private final int epoch;
    /** For tests: the first attempt of partition 0's task throws after training (-1: never). */
    private final int failFirstAttemptAtStep;

    RoundTask(Broadcast<byte[]> model, long modelKey, Broadcast<StateSum> state, AveragingSettings settings,
              RecordLayout layout, int firstStep, int epoch, int failFirstAttemptAtStep) {
        this.model = model;
        this.modelKey = modelKey;
        this.state = state;
        this.settings = settings;
        this.layout = layout;
        this.firstStep = firstStep;
        this.epoch = epoch;
        this.failFirstAttemptAtStep = failFirstAttemptAtStep;
    }

    @Override
    public Iterator<StateSum> call(Integer partition, Iterator<ImageRecord> records) {
        List<ImageRecord> shard = new ArrayList<>();
        records.forEachRemaining(shard::add);
        if (shard.isEmpty()) {
            return List.<StateSum>of().iterator(); // an empty partition has nothing to average
        }
        shard.sort(Comparator.comparingLong(ImageRecord::getIndex));
        if (settings.getThreadsPerTask() > 0) {
            NativeThreads.limitCurrentThread(settings.getThreadsPerTask());
        }
        LocalModuleGraph replica = replica();
        state.value().writeAverageTo(replica);
        ModelVector.setCounters(replica, firstStep, epoch);
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(settings.getSeed() * 1_000_003L + partition * 7919L + firstStep);
        double[] scores = train(replica, layout.dataset(shard), partition);
        if (failFirstAttemptAtStep == firstStep && partition == 0 && TaskContext.get().attemptNumber() == 0) {
            throw new IllegalStateException("Injected failure of partition 0 at step " + firstStep + " (test)");
        }
        return List.of(StateSum.of(replica, scores)).iterator();
    }

    /** Trains H steps from the shard's stream at {@code firstStep}; returns the mean module losses. */
    private double[] train(LocalModuleGraph replica, ImageDataset shard, int partition) {
        int batch = settings.getBatchSizePerWorker();
        long seed = settings.getSeed() + partition;
        try (ImageDataSetIterator it = ImageDataSetIterator.builder().dataset(shard).batchSize(batch).seed(seed)
                .shuffle(settings.isShuffle()).augmentation(settings.getAugmentation())
                .normalization(settings.getNormalization()).prefetch(0).build()) {
            int perPass = it.batchesPerEpoch();
            it.restoreState(new IteratorState(seed, firstStep / perPass, (firstStep % perPass) * batch));
            double[] sums = null;
            int h = settings.getAveragingFrequency();
            for (int j = 0; j < h; j++) {
                if (!it.hasNext()) {
                    it.reset(); // the next pass over the shard, shuffled anew
                }
                double[] s = replica.fit(it.next());
                if (sums == null) {
                    sums = new double[s.length];
                }
                for (int k = 0; k < s.length; k++) {
                    sums[k] += s[k] / h;
                }
            }
            return sums;
        }
    }

    private LocalModuleGraph replica() {
        Replica r = REPLICA.get();
        if (r == null || r.key != modelKey) {
            try {
                r = new Replica(modelKey, LocalModuleGraph.load(new ByteArrayInputStream(model.value()),
                        "the model broadcast by the driver"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            REPLICA.set(r);
        }
        return r.model;
    }

    /** A loaded model and the broadcast it came from. */
    private static final class Replica {
        final long key;
        final LocalModuleGraph model;

        Replica(long key, LocalModuleGraph model) {
            this.key = key;
            this.model = model;
        }
    }
}

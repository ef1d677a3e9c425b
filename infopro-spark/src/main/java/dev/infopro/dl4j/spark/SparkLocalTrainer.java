package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.engine.BatchChecks;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.ModelVector;
import dev.infopro.dl4j.memory.ProcessMemory;
import dev.infopro.dl4j.training.EpochResult;
import dev.infopro.dl4j.training.LocalTrainer;
import dev.infopro.dl4j.training.TrainerListener;
import dev.infopro.dl4j.training.TrainingResult;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Trains a {@link LocalModuleGraph} on Spark by parameter averaging: data-parallel local learning.
 *
 * <p><b>A round.</b> The driver broadcasts the model's state ({@link ModelVector}: every module's parameters,
 * batch-norm running statistics and updater state) as a primitive array. Each partition of the records' RDD is one
 * worker: it puts the state into its replica of the model (loaded once per task thread from the bytes of the
 * model's saved zip, also broadcast) and trains it for H = {@link AveragingSettings#getAveragingFrequency()}
 * mini-batches of its shard with the library's own training step, each module with its own local loss. The driver
 * sums the replicas' states with {@code treeAggregate} and replaces its model's state by their plain mean. With one
 * worker a round is exactly H single-machine steps; with N workers, H = 1, plain SGD and no batch norm, it is one
 * step on the union of the N batches (DL4J's losses average over the mini-batch).
 *
 * <p><b>Epochs.</b> Worker p reads its shard as an endless stream of mini-batches (an
 * {@link dev.infopro.dl4j.data.ImageDataSetIterator} with seed {@code seed + p}, reshuffled every pass); the
 * model's iteration counter is the position in that stream. An epoch is {@code ceil(passSteps / H)} rounds, where
 * passSteps is the largest shard's number of mini-batches. After each epoch the driver evaluates on the test data
 * and tells the {@link TrainerListener}s ({@link TrainerListener#onIteration} once per round, with the workers' mean
 * losses).
 *
 * <p><b>Checkpoints</b> are written by the driver through the library's {@link CheckpointManager}, after an
 * averaging round ({@link Builder#checkpoints}: every n rounds and at every epoch's end); {@link Builder#resumeFrom}
 * continues exactly, because a round depends only on the model's state and counters. A failed task is re-run by
 * Spark ({@code spark.task.maxFailures}) with the same result, for the same reason.
 */
public final class SparkLocalTrainer {
    /** Checkpoint metadata: the rounds of the current epoch done when it was written. */
    public static final String METADATA_ROUNDS_IN_EPOCH = "infopro.spark.roundsInEpoch";

    private final JavaSparkContext sc;
    private final JavaRDD<ImageRecord> data;
    private final RecordLayout layout;
    private final AveragingSettings settings;
    private final LocalModuleGraph model;
    private final DataSetIterator test;
    private final int epochs;
    private final CheckpointManager checkpoints;
    private final int checkpointEveryRounds;
    private final Supplier<Map<String, String>> metadata;
    private final List<TrainerListener> listeners;
    private final List<EpochResult> history;
    private final int failFirstAttemptAtStep;
    private int roundsInEpoch;
    private int roundsPerEpoch = -1;
    private long bytesPerRound;

    private SparkLocalTrainer(Builder b) {
        this.sc = b.sc;
        this.data = b.data;
        this.layout = b.layout;
        this.settings = b.settings;
        this.model = b.model;
        this.test = b.test;
        this.epochs = b.epochs;
        this.checkpoints = b.checkpoints;
        this.checkpointEveryRounds = b.checkpointEveryRounds;
        this.metadata = b.metadata;
        this.listeners = List.copyOf(b.listeners);
        this.history = new ArrayList<>(b.history);
        this.roundsInEpoch = b.roundsInEpoch;
        this.failFirstAttemptAtStep = b.failFirstAttemptAtStep;
    }

    /**
     * Starts configuring a run.
     *
     * @param model    the model to train, planned (built with input types, or after a first batch); its configuration
     *                 needs the input normalisation when a module reconstructs the input
     * @param sc       the Spark context
     * @param data     the training records, one partition per worker ({@link SparkImageData}); cache it
     * @param layout   what the records are
     * @param settings batch size per worker, H, seed, normalisation ...
     */
    public static Builder builder(LocalModuleGraph model, JavaSparkContext sc, JavaRDD<ImageRecord> data,
                                  RecordLayout layout, AveragingSettings settings) {
        return new Builder(model, sc, data, layout, settings);
    }

    /** The model being trained (after {@link Builder#resumeFrom}, the checkpoint's). */
    public LocalModuleGraph getModel() {
        return model;
    }

    /** Averaging rounds per epoch (runs a small Spark job the first time, to count the shards). */
    public int roundsPerEpoch() {
        if (roundsPerEpoch < 0) {
            roundsPerEpoch = roundsPerEpoch(data, settings);
        }
        return roundsPerEpoch;
    }

    /**
     * Averaging rounds per epoch of {@code data} trained with {@code settings}: {@code ceil(passSteps / H)}, where
     * passSteps is the largest partition's number of mini-batches. Runs a small Spark job that counts the partitions.
     *
     * @throws IllegalArgumentException for an RDD without records
     */
    public static int roundsPerEpoch(JavaRDD<ImageRecord> data, AveragingSettings settings) {
        List<Integer> sizes = data.mapPartitions(it -> {
            int n = 0;
            for (; it.hasNext(); it.next()) {
                n++;
            }
            return List.of(n).iterator();
        }).collect();
        int largest = Collections.max(sizes);
        if (largest == 0) {
            throw new IllegalArgumentException("The training RDD has no records");
        }
        int passSteps = (largest + settings.getBatchSizePerWorker() - 1) / settings.getBatchSizePerWorker();
        return (passSteps + settings.getAveragingFrequency() - 1) / settings.getAveragingFrequency();
    }

    /** Bytes of the state broadcast to every worker and returned by each in the last round (0 before). */
    public long getBytesPerRound() {
        return bytesPerRound;
    }

    /**
     * Trains until the model has completed the configured number of epochs (counting those of a resumed run).
     *
     * @throws UncheckedIOException when the model cannot be written for the workers or a checkpoint cannot be written
     */
    public TrainingResult fit() {
        int perEpoch = roundsPerEpoch();
        int h = settings.getAveragingFrequency();
        Broadcast<byte[]> bytes = sc.broadcast(modelBytes());
        long modelKey = new SecureRandom().nextLong();
        try {
            while (model.getEpochCount() < epochs) {
                int e = model.getEpochCount();
                for (TrainerListener l : listeners) {
                    l.onEpochStart(model, e);
                }
                double[] scoreSums = new double[model.numModules()];
                int rounds = 0;
                ProcessMemory.resetPeak();
                long t0 = System.nanoTime();
                while (roundsInEpoch < perEpoch) {
                    int step = model.getIterationCount();
                    double[] scores = round(bytes, modelKey, step, e);
                    ModelVector.setCounters(model, step + h, e);
                    roundsInEpoch++;
                    rounds++;
                    for (int k = 0; k < scores.length; k++) {
                        scoreSums[k] += scores[k];
                    }
                    for (TrainerListener l : listeners) {
                        l.onIteration(model, e, step, scores.clone());
                    }
                    if (checkpointEveryRounds > 0 && roundsInEpoch < perEpoch
                            && (step / h + 1) % checkpointEveryRounds == 0) {
                        saveCheckpoint();
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                long peak = ProcessMemory.peakRssBytes();
                ModelVector.setCounters(model, model.getIterationCount(), e + 1);
                roundsInEpoch = 0;
                for (int k = 0; k < scoreSums.length; k++) {
                    scoreSums[k] = rounds == 0 ? Double.NaN : scoreSums[k] / rounds;
                }
                double accuracy = test == null ? Double.NaN : model.evaluate(test).accuracy();
                EpochResult result = new EpochResult(e + 1, scoreSums, accuracy, seconds, peak);
                history.add(result);
                for (TrainerListener l : listeners) {
                    l.onEpochResult(model, result);
                }
                if (checkpoints != null) {
                    saveCheckpoint();
                }
            }
        } finally {
            bytes.destroy();
        }
        return new TrainingResult(Collections.unmodifiableList(new ArrayList<>(history)), false);
    }

    /** One averaging round from iteration {@code step}; returns the workers' mean module losses. */
    private double[] round(Broadcast<byte[]> bytes, long modelKey, int step, int epoch) {
        StateSum current = StateSum.of(model, new double[model.numModules()]);
        bytesPerRound = current.bytes();
        Broadcast<StateSum> state = sc.broadcast(current);
        try {
            RoundTask task = new RoundTask(bytes, modelKey, state, settings, layout, step, epoch,
                    failFirstAttemptAtStep);
            StateSum sum = data.mapPartitionsWithIndex(task, true)
                    .treeAggregate(StateSum.empty(), StateSum::add, StateSum::add, settings.getAggregationDepth());
            sum.writeAverageTo(model);
            return sum.meanScores();
        } finally {
            state.destroy();
        }
    }

    private byte[] modelBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            model.save(out);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write the model for the workers: " + ex.getMessage(), ex);
        }
        return out.toByteArray();
    }

    private void saveCheckpoint() {
        Map<String, String> meta = new LinkedHashMap<>(metadata.get());
        meta.put(LocalTrainer.METADATA_HISTORY, LocalTrainer.historyJson(history));
        meta.put(METADATA_ROUNDS_IN_EPOCH, Integer.toString(roundsInEpoch));
        try {
            checkpoints.save(model, null, meta);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write a checkpoint to " + checkpoints.getDirectory() + ": "
                    + ex.getMessage(), ex);
        }
    }

    /** Configures a {@link SparkLocalTrainer}. */
    public static final class Builder {
        private LocalModuleGraph model;
        private final JavaSparkContext sc;
        private final JavaRDD<ImageRecord> data;
        private final RecordLayout layout;
        private final AveragingSettings settings;
        private DataSetIterator test;
        private int epochs = 1;
        private CheckpointManager checkpoints;
        private int checkpointEveryRounds;
        private Supplier<Map<String, String>> metadata = Map::of;
        private final List<TrainerListener> listeners = new ArrayList<>();
        private final List<EpochResult> history = new ArrayList<>();
        private int roundsInEpoch;
        private int failFirstAttemptAtStep = -1;

        private Builder(LocalModuleGraph model, JavaSparkContext sc, JavaRDD<ImageRecord> data, RecordLayout layout,
                        AveragingSettings settings) {
            this.model = model;
            this.sc = sc;
            this.data = data;
            this.layout = layout;
            this.settings = settings;
        }

        /** Test data evaluated on the driver after every epoch; without it the accuracy is NaN. */
        public Builder test(DataSetIterator data) {
            this.test = data;
            return this;
        }

        /** The total number of epochs the model should have completed (a resumed run counts its earlier ones). */
        public Builder epochs(int n) {
            this.epochs = n;
            return this;
        }

        /**
         * Writes a checkpoint through {@code manager} at the end of every epoch and, for {@code everyRounds > 0},
         * after every {@code everyRounds}-th averaging round ({@code null} manager: never).
         */
        public Builder checkpoints(CheckpointManager manager, int everyRounds) {
            this.checkpoints = manager;
            this.checkpointEveryRounds = everyRounds;
            return this;
        }

        /** Extra strings stored in every checkpoint (e.g. the command line), asked for at each save. */
        public Builder checkpointMetadata(Supplier<Map<String, String>> supplier) {
            this.metadata = supplier;
            return this;
        }

        /** Adds a listener (its {@code onIteration} is called once per round). */
        public Builder listener(TrainerListener listener) {
            this.listeners.add(listener);
            return this;
        }

        /**
         * Continues from a checkpoint written by a {@link SparkLocalTrainer} with the same data and settings: its model
         * replaces the one given to {@link SparkLocalTrainer#builder}, and its epoch results and position in the
         * epoch are restored. The epoch in progress reports the mean losses of the rounds after the checkpoint.
         *
         * @throws IllegalArgumentException when the checkpoint's metadata cannot be read
         */
        public Builder resumeFrom(Checkpoint checkpoint) {
            this.model = checkpoint.getModel();
            checkpoint.restoreRandomState();
            history.clear();
            history.addAll(LocalTrainer.history(checkpoint));
            String rounds = checkpoint.getMetadata().getOrDefault(METADATA_ROUNDS_IN_EPOCH, "0");
            try {
                this.roundsInEpoch = Integer.parseInt(rounds);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Checkpoint " + checkpoint.getFile() + " has an unreadable "
                        + METADATA_ROUNDS_IN_EPOCH + ": " + rounds, e);
            }
            return this;
        }

        /** For tests of retries: partition 0's first attempt of the round starting at {@code step} throws. */
        Builder failFirstAttemptAtStep(int step) {
            this.failFirstAttemptAtStep = step;
            return this;
        }

        /**
         * Records that do not fit the model would fail only inside a Spark task, wrapped in Spark's stage failure;
         * a one-image batch of the layout gets the same checks, and messages, on the driver before any job.
         */
        private static void checkLayout(LocalModuleGraph model, RecordLayout layout) {
            INDArray[] image = {Nd4j.zeros(DataType.FLOAT, 1, layout.getChannels(), layout.getHeight(),
                    layout.getWidth())};
            INDArray label = Nd4j.zeros(DataType.FLOAT, 1, layout.getNumClasses());
            if (layout.getNumClasses() > 0) {
                label.putScalar(0, 0, 1);
            }
            LocalTrainingConfig config = model.getConfig();
            BatchChecks.check(config.getInputTypes(), config.getNumClasses(),
                    model.getNetworkConfiguration().getNetworkInputs().size(), image, new INDArray[]{label});
        }

        /**
         * Checks the settings and builds the trainer.
         *
         * @throws IllegalArgumentException for missing pieces or bad numbers, or records whose layout (image size,
         *                                  classes) does not fit the model
         * @throws IllegalStateException    for a model not planned yet
         */
        public SparkLocalTrainer build() {
            if (model == null || sc == null || data == null || layout == null || settings == null) {
                throw new IllegalArgumentException("model, Spark context, data, layout and settings are all required");
            }
            settings.check();
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            }
            if (checkpointEveryRounds < 0 || (checkpointEveryRounds > 0 && checkpoints == null)) {
                throw new IllegalArgumentException("checkpoints(manager, everyRounds) needs a manager and"
                        + " everyRounds >= 0, got " + checkpoints + ", " + checkpointEveryRounds);
            }
            model.getPlan(); // a model still waiting for its first batch cannot be shipped; this says what to do
            checkLayout(model, layout);
            return new SparkLocalTrainer(this);
        }
    }
}

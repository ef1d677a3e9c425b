package dev.infopro.dl4j.training;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.data.IteratorChecks;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.TrainingDivergedException;
import dev.infopro.dl4j.memory.ProcessMemory;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.shade.jackson.core.JsonProcessingException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Trains a {@link LocalModuleGraph} for a number of epochs: after each epoch it evaluates on the test data, tells the
 * {@link TrainerListener}s, and writes a crash-safe checkpoint ({@link CheckpointManager}) with the model, the data
 * iterator's position (for an {@link ImageDataSetIterator}), ND4J's random state and the epoch results so far, from
 * which {@link Builder#resumeFrom} continues exactly. Optional early stopping ends the run when the test accuracy
 * has not improved for a number of epochs. A diverged module ({@link TrainingDivergedException}, see the model's
 * {@code OnNonFinite} policy) ends the run with the last good checkpoint named in the message.
 *
 * <pre>{@code
 * TrainingResult r = LocalTrainer.builder(model).train(trainData).test(testData).epochs(10)
 *         .checkpoints(new CheckpointManager(dir), 1).build().fit();
 * }</pre>
 */
public final class LocalTrainer {
    /** Checkpoint metadata key under which the epoch results are kept (JSON). */
    public static final String METADATA_HISTORY = "infopro.history";

    private final LocalModuleGraph model;
    private final DataSetIterator train;
    private final DataSetIterator test;
    private final int epochs;
    private final CheckpointManager checkpoints;
    private final int checkpointEvery;
    private final Supplier<Map<String, String>> metadata;
    private final int patience;
    private final List<TrainerListener> listeners;
    private final List<EpochResult> history;

    private LocalTrainer(Builder b) {
        this.model = b.model;
        this.train = b.train;
        this.test = b.test;
        this.epochs = b.epochs;
        this.checkpoints = b.checkpoints;
        this.checkpointEvery = b.checkpointEvery;
        this.metadata = b.metadata;
        this.patience = b.patience;
        this.listeners = List.copyOf(b.listeners);
        this.history = new ArrayList<>(b.history);
    }

    /** Starts configuring a run of {@code model}. */
    public static Builder builder(LocalModuleGraph model) {
        return new Builder(model);
    }

    /** The model being trained (after {@link Builder#resumeFrom}, the checkpoint's). */
    public LocalModuleGraph getModel() {
        return model;
    }

    /**
     * Trains until the model has completed the configured number of epochs (counting those of a resumed run), or
     * early stopping ends it.
     *
     * @throws TrainingDivergedException when a module diverges and the model's policy is to stop; its message names
     *                                   the last good checkpoint when there is one
     * @throws UncheckedIOException      when a checkpoint cannot be written
     */
    public TrainingResult fit() {
        // before the first epoch, not after it: the epochs still to train each need a fresh pass
        IteratorChecks.requireResettable(epochs - model.getEpochCount(), train.resetSupported());
        boolean stoppedEarly = false;
        while (model.getEpochCount() < epochs) {
            int e = model.getEpochCount();
            for (TrainerListener l : listeners) {
                l.onEpochStart(model, e);
            }
            ScoreMeans means = new ScoreMeans(model.numModules());
            ProcessMemory.resetPeak();
            long t0 = System.nanoTime();
            List<TrainerListener> attached = new ArrayList<>(listeners);
            model.addLocalListener(means);
            attached.forEach(model::addLocalListener);
            try {
                model.fit(train);
            } catch (TrainingDivergedException ex) {
                throw checkpoints == null ? ex : ex.withLastCheckpoint(lastCheckpoint());
            } finally {
                model.removeLocalListener(means);
                attached.forEach(model::removeLocalListener);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long peak = ProcessMemory.peakRssBytes();
            double accuracy = test == null ? Double.NaN : model.evaluate(test).accuracy();
            EpochResult result = new EpochResult(e + 1, means.means(), accuracy, seconds, peak);
            history.add(result);
            for (TrainerListener l : listeners) {
                l.onEpochResult(model, result);
            }
            if (checkpoints != null && checkpointEvery > 0 && model.getEpochCount() % checkpointEvery == 0) {
                saveCheckpoint();
            }
            if (patience > 0 && epochsWithoutImprovement() >= patience && model.getEpochCount() < epochs) {
                stoppedEarly = true;
                break;
            }
        }
        return new TrainingResult(Collections.unmodifiableList(new ArrayList<>(history)), stoppedEarly);
    }

    /**
     * The epoch results kept in a checkpoint's metadata (under {@link #METADATA_HISTORY}), for a trainer that resumes
     * from it; empty when it holds none.
     *
     * @throws IllegalArgumentException when they cannot be read
     */
    public static List<EpochResult> history(Checkpoint checkpoint) {
        String json = checkpoint.getMetadata().get(METADATA_HISTORY);
        if (json == null) {
            return List.of();
        }
        try {
            return Arrays.asList(LocalTrainingConfig.mapper().readValue(json, EpochResult[].class));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Checkpoint " + checkpoint.getFile() + " has unreadable epoch"
                    + " results: " + e.getMessage(), e);
        }
    }

    /**
     * The metadata entry under which a trainer keeps its epoch results, as JSON, for {@link #history(Checkpoint)}.
     */
    public static String historyJson(List<EpochResult> results) {
        try {
            return LocalTrainingConfig.mapper().writeValueAsString(results);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Epoch results cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    private String lastCheckpoint() {
        List<Path> files = checkpoints.list();
        return files.isEmpty() ? null : files.get(files.size() - 1).toString();
    }

    private int epochsWithoutImprovement() {
        double best = Double.NEGATIVE_INFINITY;
        int since = 0;
        for (EpochResult r : history) {
            if (r.getTestAccuracy() > best) {
                best = r.getTestAccuracy();
                since = 0;
            } else {
                since++;
            }
        }
        return since;
    }

    private void saveCheckpoint() {
        Map<String, String> meta = new LinkedHashMap<>(metadata.get());
        try {
            meta.put(METADATA_HISTORY, historyJson(history));
            IteratorState state = train instanceof ImageDataSetIterator ? ((ImageDataSetIterator) train).getState()
                    : null;
            checkpoints.save(model, state, meta);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write a checkpoint to " + checkpoints.getDirectory() + ": "
                    + ex.getMessage(), ex);
        }
    }

    /** Running mean of each module's loss over an epoch. */
    private static final class ScoreMeans implements dev.infopro.dl4j.engine.LocalTrainingListener {
        private final double[] sums;
        private int count;

        ScoreMeans(int modules) {
            sums = new double[modules];
        }

        @Override
        public void onIteration(LocalModuleGraph m, int epoch, int iteration, double[] moduleScores) {
            for (int k = 0; k < moduleScores.length && k < sums.length; k++) {
                sums[k] += moduleScores[k];
            }
            count++;
        }

        double[] means() {
            double[] mean = new double[sums.length];
            for (int k = 0; k < sums.length; k++) {
                mean[k] = count == 0 ? Double.NaN : sums[k] / count;
            }
            return mean;
        }
    }

    /** Configures a {@link LocalTrainer}. */
    public static final class Builder {
        private LocalModuleGraph model;
        private DataSetIterator train;
        private DataSetIterator test;
        private int epochs = 1;
        private CheckpointManager checkpoints;
        private int checkpointEvery;
        private Supplier<Map<String, String>> metadata = Map::of;
        private int patience;
        private final List<TrainerListener> listeners = new ArrayList<>();
        private final List<EpochResult> history = new ArrayList<>();

        private Builder(LocalModuleGraph model) {
            this.model = model;
        }

        /** The training data (reset before each epoch when it supports it). Required. */
        public Builder train(DataSetIterator data) {
            this.train = data;
            return this;
        }

        /** Test data evaluated after every epoch; without it the accuracy is NaN and early stopping is off. */
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
         * Writes a checkpoint every {@code every} epochs ({@code 0}: never) through {@code manager}.
         */
        public Builder checkpoints(CheckpointManager manager, int every) {
            this.checkpoints = manager;
            this.checkpointEvery = every;
            return this;
        }

        /** Extra strings stored in every checkpoint (e.g. the command line), asked for at each save. */
        public Builder checkpointMetadata(Supplier<Map<String, String>> supplier) {
            this.metadata = supplier;
            return this;
        }

        /** Stops when the test accuracy has not improved for {@code epochs} epochs ({@code 0}: never). */
        public Builder earlyStopping(int epochs) {
            this.patience = epochs;
            return this;
        }

        /** Adds a listener. */
        public Builder listener(TrainerListener listener) {
            this.listeners.add(listener);
            return this;
        }

        /**
         * Continues from a checkpoint: its model replaces the one given to {@link LocalTrainer#builder}, ND4J's random
         * generator and the training iterator's position (for an {@link ImageDataSetIterator}; set
         * {@link #train} first) are restored, and the epoch results it holds become the start of the history.
         *
         * @throws IllegalArgumentException when the checkpoint's epoch results cannot be read
         */
        public Builder resumeFrom(Checkpoint checkpoint) {
            this.model = checkpoint.getModel();
            checkpoint.restoreRandomState();
            if (checkpoint.getDataState() != null && train instanceof ImageDataSetIterator) {
                ((ImageDataSetIterator) train).restoreState(checkpoint.getDataState());
            }
            history.clear();
            history.addAll(history(checkpoint));
            return this;
        }

        /**
         * Checks the settings and builds the trainer.
         *
         * @throws IllegalArgumentException for a missing model or training data, or non-positive counts
         */
        public LocalTrainer build() {
            if (model == null) {
                throw new IllegalArgumentException("model must not be null");
            }
            if (train == null) {
                throw new IllegalArgumentException("train(data) is required: the DataSetIterator to train on");
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            }
            if (checkpointEvery < 0 || (checkpointEvery > 0 && checkpoints == null)) {
                throw new IllegalArgumentException("checkpoints(manager, every) needs a manager and every >= 0, got "
                        + checkpoints + ", " + checkpointEvery);
            }
            if (patience < 0 || (patience > 0 && test == null)) {
                throw new IllegalArgumentException("earlyStopping(epochs) needs epochs >= 0 and test data to watch,"
                        + " got " + patience + (test == null ? " without test(data)" : ""));
            }
            return new LocalTrainer(this);
        }
    }
}

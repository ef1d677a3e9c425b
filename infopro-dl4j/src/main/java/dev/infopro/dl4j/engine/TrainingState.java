package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.data.IteratorChecks;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link LocalModuleGraph}'s training progress: the iteration and epoch counters, the last batch's module losses
 * and times, the skipped batches, and the listeners told of each step; and what happens after a batch's step (the
 * non-finite policy, the counters, the listeners).
 */
final class TrainingState {
    private static final Logger LOG = LoggerFactory.getLogger(LocalModuleGraph.class);

    private final List<LocalTrainingListener> listeners = new ArrayList<>();
    private int iteration;
    private int epoch;
    private double[] lastScores = new double[0];
    private double[] lastSeconds = new double[0];
    private int skippedBatches;

    TrainingState(int iteration, int epoch) {
        this.iteration = iteration;
        this.epoch = epoch;
    }

    /** One pass over {@code data} (reset first when it can), through {@code executor}. */
    void epoch(LocalModuleGraph model, ModuleExecutor executor, ModuleSet modules, DataSetIterator data) {
        IteratorChecks.startTrainingPass(data);
        // the first batch builds a pending model and fixes the reconstruction target before any module runs
        DataSet firstSet = data.next();
        Batch first = BatchChecks.batch(modules, BatchChecks.features(firstSet),
                new INDArray[]{firstSet.getLabels()}, data);
        OnNonFinite policy = modules.config().getOnNonFinite();
        executor.run(modules.steps(), BatchChecks.batches(first, data, modules), modules.target(), epoch,
                new ModuleExecutor.BatchSink() {
                    @Override
                    public int iteration() {
                        return iteration;
                    }

                    @Override
                    public void accept(StepOutcome outcome) {
                        afterStep(model, outcome, policy, modules.steps());
                    }
                });
        endEpoch(model, modules.steps());
    }

    /** One step on one batch; returns the module losses. */
    double[] step(LocalModuleGraph model, ModuleExecutor executor, ModuleSet modules, INDArray[] features,
                  INDArray[] labels) {
        Batch b = BatchChecks.batch(modules, features, labels, null);
        StepOutcome outcome = executor.step(modules.steps(), b.getFeatures(), b.getLabels(), modules.target(),
                iteration, epoch);
        return afterStep(model, outcome, modules.config().getOnNonFinite(), modules.steps());
    }

    /**
     * Applies the policy, counters and listeners after one batch's step.
     *
     * @return the module losses
     * @throws TrainingDivergedException for a rejected batch under {@link OnNonFinite#STOP}
     */
    double[] afterStep(LocalModuleGraph model, StepOutcome outcome, OnNonFinite policy, List<ModuleTrainer> steps) {
        double[] scores = outcome.getScores();
        if (!outcome.isAccepted()) {
            if (policy == OnNonFinite.STOP) {
                throw new TrainingDivergedException(outcome.getRejectedModule(), epoch, iteration,
                        outcome.getNonFinite());
            }
            skippedBatches++;
            LOG.warn("Skipping a batch at epoch {}, iteration {}: module {} has {}; no module was updated ({} batches"
                            + " skipped so far)", epoch, iteration, outcome.getRejectedModule(), outcome.getNonFinite(),
                    skippedBatches);
            return scores.clone();
        }
        lastScores = scores;
        lastSeconds = outcome.getModuleSeconds();
        for (LocalTrainingListener l : listeners) {
            l.onIteration(model, epoch, iteration, scores.clone());
        }
        iteration++;
        setCounters(steps);
        return scores.clone();
    }

    void endEpoch(LocalModuleGraph model, List<ModuleTrainer> steps) {
        for (ModuleTrainer t : steps) {
            t.endEpoch();
        }
        for (LocalTrainingListener l : listeners) {
            l.onEpochEnd(model, epoch, lastScores(steps.size()));
        }
        epoch++;
        setCounters(steps);
    }

    /** Moves the counters to {@code iteration} and {@code epoch} (see {@link ModelVector#setCounters}). */
    void setCounters(int newIteration, int newEpoch, List<ModuleTrainer> steps) {
        this.iteration = newIteration;
        this.epoch = newEpoch;
        setCounters(steps);
    }

    void setCounters(List<ModuleTrainer> steps) {
        for (ModuleTrainer t : steps) {
            t.setCounters(iteration, epoch);
        }
    }

    List<LocalTrainingListener> listeners() {
        return listeners;
    }

    int iteration() {
        return iteration;
    }

    int epoch() {
        return epoch;
    }

    int skippedBatches() {
        return skippedBatches;
    }

    /** The last accepted batch's module losses, NaN before the first. */
    double[] lastScores(int modules) {
        return orNaN(lastScores, modules);
    }

    /** The last accepted batch's module times in seconds, NaN before the first. */
    double[] lastSeconds(int modules) {
        return orNaN(lastSeconds, modules);
    }

    private static double[] orNaN(double[] v, int modules) {
        if (v.length == modules) {
            return v.clone();
        }
        double[] nan = new double[modules];
        Arrays.fill(nan, Double.NaN);
        return nan;
    }
}

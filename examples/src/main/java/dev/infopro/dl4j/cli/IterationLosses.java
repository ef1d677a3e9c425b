package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.training.TrainerListener;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Records every mini-batch's module losses, by epoch, for {@code metrics.json} and the loss curves of
 * {@code curves.png}.
 */
final class IterationLosses implements TrainerListener {
    private final Map<Integer, List<double[]>> byEpoch = new HashMap<>();

    @Override
    public void onIteration(LocalModuleGraph model, int epoch, int iteration, double[] moduleScores) {
        byEpoch.computeIfAbsent(epoch + 1, e -> new ArrayList<>()).add(moduleScores.clone());
    }

    /**
     * The losses of a 1-based epoch, one row per mini-batch and one column per module; null for an epoch this
     * process did not train (one before a resume).
     */
    double[][] of(int epoch) {
        List<double[]> rows = byEpoch.get(epoch);
        return rows == null ? null : rows.toArray(new double[0][]);
    }
}

package dev.infopro.dl4j.training;

import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.LocalTrainingListener;

/**
 * Hook into a {@link LocalTrainer} run. Every method receives the model, so a listener can log, evaluate, export or
 * stop training by throwing. It is also a {@link LocalTrainingListener}, attached to the model while the trainer
 * runs, so it sees every iteration too; all methods do nothing by default.
 */
public interface TrainerListener extends LocalTrainingListener {

    /** Called before each epoch's first batch; {@code epoch} is 0-based. */
    default void onEpochStart(LocalModuleGraph model, int epoch) {
    }

    @Override
    default void onIteration(LocalModuleGraph model, int epoch, int iteration, double[] moduleScores) {
    }

    /** Called after each epoch's evaluation, before its checkpoint is written. */
    default void onEpochResult(LocalModuleGraph model, EpochResult result) {
    }
}

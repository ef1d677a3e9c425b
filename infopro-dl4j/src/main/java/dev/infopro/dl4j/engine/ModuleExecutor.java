package dev.infopro.dl4j.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * Runs one training step of all modules on one mini-batch through their {@link ModuleTrainer}s: the order and
 * threads in which modules run is the executor's business, what each module sees is not. Module k+1 gets the cut
 * activation module k computed before its own update, and no module is updated unless every module's loss and
 * gradient are finite, so every executor computes what {@link SequentialExecutor} computes.
 */
public interface ModuleExecutor {

    /**
     * Trains every module on one mini-batch.
     *
     * @param trainers      the modules in order
     * @param features      the network's input arrays
     * @param labels        the network's label arrays
     * @param target        makes the reconstruction target from the features (null when no module reconstructs)
     * @param iteration     the 0-based iteration of the batch
     * @param epoch         the 0-based epoch of the batch
     * @return the module losses, or which module was not finite (then no module was updated)
     */
    StepOutcome step(List<ModuleTrainer> trainers, INDArray[] features, INDArray[] labels,
                     ReconstructionTarget target, int iteration, int epoch);
}

package dev.infopro.dl4j.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Iterator;
import java.util.List;

/**
 * Runs training steps of all modules through their {@link ModuleTrainer}s: the order and threads in which modules
 * run is the executor's business, what each module sees is not. Module k+1 gets the cut activation module k computed
 * before its own update, and no module keeps an update from a batch unless every module's loss and gradient on it
 * are finite, so every executor computes what {@link SequentialExecutor} computes.
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

    /**
     * Trains on every batch of {@code batches} in order, telling {@code sink} each batch's outcome in order, on the
     * calling thread. A rejected batch has updated no module when the sink hears of it; if the sink throws, the run
     * stops and the exception propagates. The default runs {@link #step} batch after batch.
     *
     * @param epoch the 0-based epoch of all the batches
     */
    default void run(List<ModuleTrainer> trainers, Iterator<Batch> batches, ReconstructionTarget target, int epoch,
                     BatchSink sink) {
        while (batches.hasNext()) {
            Batch b = batches.next();
            sink.accept(step(trainers, b.getFeatures(), b.getLabels(), target, sink.iteration(), epoch));
        }
    }

    /** Where {@link #run} reports to: the model's counters, policies and listeners. */
    interface BatchSink {
        /** The 0-based iteration the next accepted batch will have. */
        int iteration();

        /** Takes one batch's outcome, in batch order; throws to stop the run. */
        void accept(StepOutcome outcome);
    }
}

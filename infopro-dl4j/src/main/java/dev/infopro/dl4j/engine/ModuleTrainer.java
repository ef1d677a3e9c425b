package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.planning.ModuleSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One local module's training step as a unit: it owns the module's graph, parameters and updater, and is the only
 * code that touches them. An executor ({@link ModuleExecutor}) drives a list of these, one per module; a
 * ComputationGraph module is a {@link GraphModuleTrainer}, and other graph types (SameDiff) or places (a Spark
 * executor) implement the same contract.
 *
 * <p>A step has two halves so that an executor can hold every update back until all modules' losses are known to be
 * finite: {@link #computeGradient} (forward, backward, local loss; the gradient is kept) and then either
 * {@link #applyUpdate} or {@link #discardGradient}. Between the two, the module's activations are already
 * released; only its gradient and the returned cut activation are alive.
 */
public interface ModuleTrainer {

    /** What this module contains. */
    ModuleSpec getSpec();

    /**
     * Forward and backward pass of one mini-batch through the module and its heads; the gradient is kept for
     * {@link #applyUpdate}.
     *
     * @param inputs    the module's inputs: the network's features for module 0, else the previous cut activation
     * @param labels    one array per module output (the class labels or the reconstruction target)
     * @param iteration the 0-based iteration of the batch
     * @param epoch     the 0-based epoch of the batch
     * @return the loss, whether it and the gradient are finite, and (for local modules) a detached copy of the cut
     *         activation h_k taken before any parameter changes; the caller owns and closes it
     */
    ModuleStepResult computeGradient(INDArray[] inputs, INDArray[] labels, int iteration, int epoch);

    /**
     * Applies the kept gradient: coupled weight decay, the updater, the parameter step and constraints.
     *
     * @param batchSize the mini-batch size of the gradient
     */
    void applyUpdate(int iteration, int epoch, int batchSize);

    /** Forgets the kept gradient and cut activation: the batch was rejected, nothing changes. */
    void discardGradient();

    /**
     * Inference in test mode without heads.
     *
     * @return the cut activation h_k for a local module (detached), or the network outputs for the last module
     */
    INDArray[] output(INDArray[] inputs);

    /** Sets the counters that schedules and listeners read. */
    void setCounters(int iteration, int epoch);

    /** Tells the module's listeners that an epoch ended. */
    void endEpoch();

    /**
     * A copy of everything a step changes (parameters, batch-norm statistics, updater state), so that an executor
     * that runs modules ahead of each other can undo steps of a batch that turns out to be rejected.
     */
    Snapshot snapshot();

    /** Puts the module back to {@code snapshot}; the snapshot stays usable. */
    void restore(Snapshot snapshot);

    /** A module's saved state; {@link #close()} frees it. */
    interface Snapshot extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Forgets that the module's working memory was sized (after its workspaces were destroyed), so its next step
     * sizes it again with the first-step care.
     */
    void resetWorkspaceSizing();
}

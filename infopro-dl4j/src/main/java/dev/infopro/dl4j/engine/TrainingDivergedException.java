package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.OnNonFinite;

/**
 * Thrown by {@link LocalModuleGraph} training when a module's loss or gradient is NaN or infinite and the policy is
 * {@link OnNonFinite#STOP}. The model is left as it was before the offending batch (no module was updated).
 */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int module;
    private final int epoch;
    private final int iteration;

    /**
     * @param module    0-based index of the first module with a non-finite loss or gradient
     * @param epoch     0-based epoch of the batch
     * @param iteration 0-based iteration (mini-batch count) of the batch
     * @param what      what was non-finite, e.g. "loss = NaN"
     */
    public TrainingDivergedException(int module, int epoch, int iteration, String what) {
        this(module, epoch, iteration, "Training diverged in module " + module + " at epoch " + epoch + ", iteration "
                + iteration + ": " + what + ". No module was updated with this batch. Lower the learning rate, check"
                + " the input data for NaN/Inf, resume from the last checkpoint, or use OnNonFinite.SKIP_BATCH to skip"
                + " such batches", null);
    }

    private TrainingDivergedException(int module, int epoch, int iteration, String message, Throwable cause) {
        super(message, cause);
        this.module = module;
        this.epoch = epoch;
        this.iteration = iteration;
    }

    /**
     * The same exception with the last good checkpoint named at the end of the message.
     *
     * @param checkpoint the checkpoint file, or null when there is none (then the message is unchanged)
     */
    public TrainingDivergedException withLastCheckpoint(String checkpoint) {
        if (checkpoint == null) {
            return this;
        }
        return new TrainingDivergedException(module, epoch, iteration, getMessage()
                + "; the last good checkpoint is kept: " + checkpoint, this);
    }

    /** @return 0-based index of the module that diverged */
    public int getModule() {
        return module;
    }

    /** @return 0-based epoch of the batch */
    public int getEpoch() {
        return epoch;
    }

    /** @return 0-based iteration of the batch */
    public int getIteration() {
        return iteration;
    }
}

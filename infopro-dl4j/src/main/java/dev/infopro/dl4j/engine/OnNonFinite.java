package dev.infopro.dl4j.engine;

/**
 * What {@link LocalModuleGraph} does when a module's loss or gradient on a mini-batch is NaN or infinite.
 *
 * <p>The check runs after every module's gradient has been computed and before any updater step of that batch, so
 * in both cases no parameter, batch-norm statistic or updater state of any module is changed by the bad batch.
 */
public enum OnNonFinite {
    /** Throw a {@link TrainingDivergedException} naming the module, epoch and iteration (the default). */
    STOP,
    /**
     * Skip the batch: no module is updated, the iteration counter does not advance, a warning is logged and
     * {@link LocalModuleGraph#getSkippedBatchCount()} grows by one.
     */
    SKIP_BATCH
}

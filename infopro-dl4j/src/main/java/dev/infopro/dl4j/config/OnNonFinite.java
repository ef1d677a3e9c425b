package dev.infopro.dl4j.config;

/**
 * What {@link dev.infopro.dl4j.engine.LocalModuleGraph} does when a module's loss or gradient on a mini-batch is NaN or infinite.
 *
 * <p>The check runs after every module's gradient has been computed and before any updater step of that batch, so
 * in both cases no parameter, batch-norm statistic or updater state of any module is changed by the bad batch.
 */
public enum OnNonFinite {
    /** Throw a {@link dev.infopro.dl4j.engine.TrainingDivergedException} naming the module, epoch and iteration (the default). */
    STOP,
    /**
     * Skip the batch: no module is updated, the iteration counter does not advance, a warning is logged and
     * {@link dev.infopro.dl4j.engine.LocalModuleGraph#getSkippedBatchCount()} grows by one.
     */
    SKIP_BATCH
}

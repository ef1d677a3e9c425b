package dev.infopro.dl4j.engine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A locally trained model that can write its whole training state (parameters, running statistics, updater state,
 * counters) to a stream, so that {@code checkpoint.CheckpointManager} can checkpoint it. Implemented by
 * {@link LocalModuleGraph} and by the SameDiff front {@code samediff.SameDiffLocalModel}; it lives in the engine so
 * that both implementations and the checkpoint package can use it without depending on each other.
 */
public interface CheckpointableModel {

    /** @return epochs completed so far (names the checkpoint file) */
    int getEpochCount();

    /** @return mini-batches trained so far (names the checkpoint file) */
    int getIterationCount();

    /**
     * Writes the training state to {@code out} (the stream is not closed); the implementation's own reader must
     * continue from it exactly.
     */
    void save(OutputStream out) throws IOException;

    /**
     * The kind of model, stored in the checkpoint so that a reader knows how to read the state back. The default is
     * the class's simple name; it must stay stable across versions because old checkpoints carry it.
     */
    default String checkpointKind() {
        return getClass().getSimpleName();
    }
}

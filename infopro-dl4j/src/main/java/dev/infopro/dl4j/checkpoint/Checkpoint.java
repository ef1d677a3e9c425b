package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import lombok.Value;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Map;

/**
 * A verified checkpoint read by {@link CheckpointManager}: everything needed to continue a training run.
 */
@Value
public class Checkpoint {
    /** The model with all modules, heads, updater state, lambda schedule and epoch/iteration counters. */
    LocalModuleGraph model;
    /** The data iterator's state when the checkpoint was taken, or null when none was saved. */
    IteratorState dataState;
    /** The caller's metadata (unmodifiable), e.g. the run specification as JSON. */
    Map<String, String> metadata;
    /** The checkpoint file. */
    Path file;
    /** ND4J's global random generator state (root) when the checkpoint was taken. */
    long randomRootState;
    /** ND4J's global random generator state (node) when the checkpoint was taken. */
    long randomNodeState;

    /** @return epochs completed by the model */
    public int getEpoch() {
        return model.getEpochCount();
    }

    /** @return mini-batches trained by the model */
    public int getIteration() {
        return model.getIterationCount();
    }

    /**
     * Sets ND4J's global random generator back to its state at save time. Needed for an exact resume only when
     * training draws from it (dropout, weight noise); loading alone never changes global state.
     */
    public void restoreRandomState() {
        Nd4j.getRandom().setStates(randomRootState, randomNodeState);
    }
}

package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import lombok.AccessLevel;
import lombok.Getter;
import lombok.ToString;
import lombok.Value;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * A verified checkpoint read by {@link CheckpointManager}: everything needed to continue a training run.
 *
 * <p>A checkpoint of a {@link LocalModuleGraph} holds the model itself ({@link #getModel()}). A checkpoint of
 * another {@link dev.infopro.dl4j.engine.CheckpointableModel}, such as a {@code SameDiffLocalModel} (whose network
 * is code, not data), holds its state: build the same model and read the state into it, e.g.
 * {@code local.restore(checkpoint.openModelState())}.
 */
@Value
public class Checkpoint {
    /** {@link #getModelKind()} of a checkpoint holding a {@link LocalModuleGraph}. */
    public static final String KIND_LOCAL_MODULE_GRAPH = "LocalModuleGraph";

    /** The kind of model saved ({@link dev.infopro.dl4j.engine.CheckpointableModel#checkpointKind()}). */
    String modelKind;
    @Getter(AccessLevel.NONE)
    LocalModuleGraph model;
    @Getter(AccessLevel.NONE)
    @ToString.Exclude
    byte[] modelBytes;
    /** The data iterator's state when the checkpoint was taken, or null when none was saved. */
    IteratorState dataState;
    /** The caller's metadata (unmodifiable), e.g. the run specification as JSON. */
    Map<String, String> metadata;
    /** The checkpoint file. */
    Path file;
    /** Epochs completed by the model when the checkpoint was taken. */
    int epoch;
    /** Mini-batches trained by the model when the checkpoint was taken. */
    int iteration;
    /** ND4J's global random generator state (root) when the checkpoint was taken. */
    long randomRootState;
    /** ND4J's global random generator state (node) when the checkpoint was taken. */
    long randomNodeState;

    /**
     * The model with all modules, heads, updater state, lambda schedule and epoch/iteration counters.
     *
     * @throws IllegalStateException when the checkpoint holds another kind of model (use {@link #openModelState()})
     */
    public LocalModuleGraph getModel() {
        if (model == null) {
            throw new IllegalStateException("Checkpoint " + file + " holds a " + modelKind + ", not a "
                    + KIND_LOCAL_MODULE_GRAPH + ": build the same model and read openModelState() into it");
        }
        return model;
    }

    /**
     * The saved model state as written by {@link dev.infopro.dl4j.engine.CheckpointableModel#save}, already verified
     * against the checkpoint's SHA-256 manifest; each call returns a new stream.
     */
    public InputStream openModelState() {
        return new ByteArrayInputStream(modelBytes);
    }

    /**
     * Sets ND4J's global random generator back to its state at save time. Needed for an exact resume only when
     * training draws from it (dropout, weight noise); loading alone never changes global state.
     */
    public void restoreRandomState() {
        Nd4j.getRandom().setStates(randomRootState, randomNodeState);
    }
}

package dev.infopro.dl4j.heads;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.shade.jackson.annotation.JsonTypeInfo;

import java.io.Serializable;
import java.util.Set;

/**
 * An auxiliary network that reads a local module's output h_k during training only (a decoder or a classifier /
 * projection head) and ends in a DL4J output layer whose loss is the head's part of the module's local loss.
 *
 * <p>Heads are immutable, JSON-serialisable configurations; {@link #attach} adds their layers to a module's
 * {@link ComputationGraphConfiguration.GraphBuilder}. They never appear in the deployed network.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.CLASS, include = JsonTypeInfo.As.PROPERTY, property = "@class")
public interface AuxiliaryHead extends Serializable {

    /** What the head's output layer is trained against. */
    enum Target {
        /** One-hot class labels of the mini-batch, [N, numClasses]. */
        CLASS_LABELS,
        /** The de-normalised input image in [0, 1], [N, C, H, W] (x * std + mean). */
        INPUT_IMAGE
    }

    /** The labels the head's output layer needs. */
    Target target();

    /**
     * Adds this head's layers to {@code graph}.
     *
     * @param graph      the module's graph builder
     * @param input      the vertex that produces h_k
     * @param inputType  the type of h_k (convolutional for image heads)
     * @param prefix     prefix for every vertex name the head adds (unique per module and head)
     * @param lossWeight factor on the head's loss (lambda); the output layer's score and gradient are scaled by it
     * @param context    facts about the task: classes, image shape
     * @return the name of the head's output layer
     * @throws IllegalArgumentException when the head cannot read {@code inputType} (e.g. a decoder on non-image input)
     */
    String attach(ComputationGraphConfiguration.GraphBuilder graph, String input, InputType inputType,
                  String prefix, double lossWeight, HeadContext context);

    /**
     * Names of the layers {@link #attach} adds (for the same {@code prefix}) whose biases must be re-initialised with
     * PyTorch's rule after {@code init()}, with {@code dev.infopro.dl4j.init.TorchBiasInit.apply(model, names)}:
     * DL4J can only set biases to a constant. Empty by default.
     *
     * @param prefix the prefix given to {@link #attach}
     * @return layer names, never null
     */
    default Set<String> torchBiasLayers(String prefix) {
        return Set.of();
    }
}

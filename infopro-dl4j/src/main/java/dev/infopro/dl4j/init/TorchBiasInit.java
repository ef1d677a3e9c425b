package dev.infopro.dl4j.init;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Set;

/**
 * PyTorch initialises every bias of a linear or convolution layer as {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))};
 * DL4J can only set biases to a constant. Call this after {@code init()} to match the reference.
 * Batch-norm beta stays 0 (the reference's BN init).
 */
public final class TorchBiasInit {
    private TorchBiasInit() {
    }

    /** Re-initialises the bias "b" of every layer of {@code model} (except batch norm) with PyTorch's rule. */
    public static void apply(Model model) {
        apply(model, null);
    }

    /**
     * Re-initialises the biases of the named layers only ({@code null} = all layers).
     *
     * @param model  an initialised ComputationGraph or MultiLayerNetwork
     * @param layers names of the layers to touch, or {@code null} for all
     */
    public static void apply(Model model, Set<String> layers) {
        Layer[] all;
        if (model instanceof ComputationGraph) {
            all = ((ComputationGraph) model).getLayers();
        } else if (model instanceof MultiLayerNetwork) {
            all = ((MultiLayerNetwork) model).getLayers();
        } else {
            throw new IllegalArgumentException("TorchBiasInit needs a ComputationGraph or MultiLayerNetwork, got "
                    + model.getClass().getName());
        }
        for (Layer layer : all) {
            String name = layer.conf().getLayer().getLayerName();
            if (layers != null && !layers.contains(name)) {
                continue;
            }
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                continue;
            }
            // paramTable() is empty for parameter-free layers, where getParam may throw.
            INDArray b = layer.paramTable().get("b");
            INDArray w = layer.paramTable().get("W");
            if (b == null || w == null || b.length() == 0) {
                continue;
            }
            double bound = 1.0 / Math.sqrt(TorchDefaultUniform.fanIn(w.shape()));
            b.assign(Nd4j.rand(b.dataType(), b.shape()).muli(2 * bound).subi(bound));
        }
    }
}

package dev.infopro.dl4j.planning;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Finds a network's input types when the user gives none, so that a network converts without
 * {@code inputTypes(...)}.
 *
 * <p>DL4J 1.0.0-M2.1 keeps no input types in a configuration: {@code GraphBuilder.setInputTypes(...)} and
 * {@code ListBuilder.setInputType(...)} only use them to set each layer's nIn and to add input pre-processors, and
 * {@code MultiLayerNetwork.toComputationGraph()} carries those pre-processors over. What survives is therefore read
 * back where it determines the type completely ({@link #fromConfiguration}): a first layer that is a dense
 * (feed-forward) layer with its nIn set, or a first pre-processor {@link FeedForwardToCnnPreProcessor} (an MNIST-style
 * network built with {@code InputType.convolutionalFlat(h, w, c)}). A convolution's configuration has its channel
 * count but not the image size, so such networks take their input types from the first batch ({@link #fromBatch}).
 */
public final class InputTypes {
    private InputTypes() {
    }

    /**
     * The input types the configuration determines completely, or null when any input's type is not known from it.
     */
    public static InputType[] fromConfiguration(ComputationGraphConfiguration conf) {
        List<String> inputs = conf.getNetworkInputs();
        InputType[] types = new InputType[inputs.size()];
        for (int i = 0; i < types.length; i++) {
            LayerVertex first = firstLayer(conf, inputs.get(i));
            if (first == null) {
                return null;
            }
            InputPreProcessor pre = first.getPreProcessor();
            Layer layer = first.getLayerConf().getLayer();
            if (pre instanceof FeedForwardToCnnPreProcessor) {
                FeedForwardToCnnPreProcessor p = (FeedForwardToCnnPreProcessor) pre;
                types[i] = InputType.convolutionalFlat(p.getInputHeight(), p.getInputWidth(), p.getNumChannels());
            } else if (pre == null && isDenseLike(layer) && ((FeedForwardLayer) layer).getNIn() > 0) {
                types[i] = InputType.feedForward(((FeedForwardLayer) layer).getNIn());
            } else {
                return null;
            }
        }
        return types;
    }

    /**
     * The input types of a batch: NCHW images (NHWC when the first layer is a convolution in that format) for rank-4
     * features, flat images when the first layer has a {@link FeedForwardToCnnPreProcessor}, feed-forward vectors
     * for other rank-2 features, and sequences for rank 3.
     *
     * @throws IllegalArgumentException when the number of feature arrays differs from the network's inputs, or a rank
     *                                  has no input type here (give {@code inputTypes(...)} then)
     */
    public static InputType[] fromBatch(ComputationGraphConfiguration conf, INDArray[] features) {
        List<String> inputs = conf.getNetworkInputs();
        if (features == null || features.length != inputs.size()) {
            throw new IllegalArgumentException("The network has " + inputs.size() + " input(s) " + inputs
                    + " but the batch has " + (features == null ? 0 : features.length) + " feature arrays");
        }
        InputType[] types = new InputType[features.length];
        for (int i = 0; i < features.length; i++) {
            long[] s = features[i].shape();
            LayerVertex first = firstLayer(conf, inputs.get(i));
            InputPreProcessor pre = first == null ? null : first.getPreProcessor();
            Layer layer = first == null ? null : first.getLayerConf().getLayer();
            if (s.length == 4) {
                boolean nhwc = layer instanceof ConvolutionLayer
                        && ((ConvolutionLayer) layer).getCnn2dDataFormat() == CNN2DFormat.NHWC;
                types[i] = nhwc ? InputType.convolutional(s[1], s[2], s[3], CNN2DFormat.NHWC)
                        : InputType.convolutional(s[2], s[3], s[1]);
            } else if (s.length == 2 && pre instanceof FeedForwardToCnnPreProcessor) {
                FeedForwardToCnnPreProcessor p = (FeedForwardToCnnPreProcessor) pre;
                types[i] = InputType.convolutionalFlat(p.getInputHeight(), p.getInputWidth(), p.getNumChannels());
            } else if (s.length == 2) {
                types[i] = InputType.feedForward(s[1]);
            } else if (s.length == 3) {
                types[i] = InputType.recurrent(s[1], s[2]);
            } else {
                throw new IllegalArgumentException("Cannot tell the input type of input '" + inputs.get(i)
                        + "' from features of shape " + Arrays.toString(s) + "; give it with inputTypes(...)");
            }
        }
        return types;
    }

    // The first layer reading the input directly (DL4J applies a layer vertex's pre-processor to that input).
    private static LayerVertex firstLayer(ComputationGraphConfiguration conf, String input) {
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            if (e.getValue().contains(input)) {
                GraphVertex v = conf.getVertices().get(e.getKey());
                return v instanceof LayerVertex ? (LayerVertex) v : null;
            }
        }
        return null;
    }

    // Dense and output layers take [batch, nIn]; other feed-forward layers (embeddings, recurrent) take other shapes.
    private static boolean isDenseLike(Layer layer) {
        return layer instanceof DenseLayer || layer.getClass() == OutputLayer.class;
    }
}

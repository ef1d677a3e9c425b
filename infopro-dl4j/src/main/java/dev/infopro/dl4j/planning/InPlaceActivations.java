package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.layers.InPlaceAdd;
import dev.infopro.dl4j.layers.InPlaceReLU;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lets the ReLU layers and residual sums of a module graph overwrite an input instead of writing a new array
 * ({@link InPlaceReLU}, {@link InPlaceAdd}), where that is safe. DL4J keeps every vertex's output of a training pass
 * until the backward pass; its activation layer copies its input and its add vertex writes a new array, so a CIFAR
 * ResNet block holds 7 maps (conv, BN, ReLU, conv, BN, sum, ReLU) where PyTorch's in-place ReLU and
 * {@code out += residual} hold 4. With both replacements DL4J holds 4 too.
 *
 * <p>A vertex runs in place when all of these hold:
 * <ul>
 *   <li>it is a plain ReLU {@link ActivationLayer} ({@link InPlaceReLU#isPlainReLU}) without dropout or a
 *       preprocessor, or an add {@link ElementWiseVertex} of at least two inputs;</li>
 *   <li>the input it overwrites (the ReLU's only input, the sum's first) is the output of a batch norm, a
 *       convolution or dense layer, or an add, subtract or average vertex, whose backward passes read their inputs,
 *       never their outputs;</li>
 *   <li>it is the only consumer of that output, and that output is not an output of the graph.</li>
 * </ul>
 * Only the engine's module graphs are changed; the network a user exports keeps DL4J's own layers.
 */
public final class InPlaceActivations {
    private InPlaceActivations() {
    }

    /**
     * Replaces, in {@code conf}, every ReLU activation layer and add vertex that may run in place.
     *
     * @param conf a graph configuration, changed in place (build it from clones, never from a user's network)
     * @return the names of the replaced layers
     */
    public static List<String> apply(ComputationGraphConfiguration conf) {
        List<String> replaced = new ArrayList<>();
        for (String name : eligible(conf)) {
            GraphVertex v = conf.getVertices().get(name);
            if (v instanceof LayerVertex) {
                ((LayerVertex) v).getLayerConf().setLayer(new InPlaceReLU(name));
            } else {
                conf.getVertices().put(name, new InPlaceAdd());
            }
            replaced.add(name);
        }
        return replaced;
    }

    /**
     * The vertices of {@code conf} that run in place in the engine: those {@link #eligible} and those already
     * replaced.
     *
     * @param conf a graph configuration (not changed)
     * @return their vertex names
     */
    public static Set<String> runningInPlace(ComputationGraphConfiguration conf) {
        Set<String> out = new HashSet<>(eligible(conf));
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            GraphVertex v = e.getValue();
            if (v instanceof InPlaceAdd
                    || v instanceof LayerVertex && ((LayerVertex) v).getLayerConf().getLayer() instanceof InPlaceReLU) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /**
     * The ReLU activation layers and add vertices of {@code conf} that may run in place, by the rules above.
     *
     * @param conf a graph configuration (not changed)
     * @return their vertex names, in the configuration's vertex order
     */
    public static List<String> eligible(ComputationGraphConfiguration conf) {
        GraphAnalysis analysis = new GraphAnalysis(conf);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            List<String> ins = conf.getVertexInputs().get(e.getKey());
            boolean candidate = isPlainReLULayer(e.getValue()) ? ins != null && ins.size() == 1
                    : isAdd(e.getValue()) && ins != null && ins.size() >= 2;
            if (!candidate) {
                continue;
            }
            String producer = ins.get(0);
            if (analysis.consumers(producer).size() == 1 && !conf.getNetworkOutputs().contains(producer)
                    && readsOnlyItsInputsBackward(conf.getVertices().get(producer))) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    private static boolean isPlainReLULayer(GraphVertex v) {
        if (!(v instanceof LayerVertex) || ((LayerVertex) v).getPreProcessor() != null) {
            return false;
        }
        Layer l = ((LayerVertex) v).getLayerConf().getLayer();
        return l.getClass() == ActivationLayer.class && l.getIDropout() == null
                && InPlaceReLU.isPlainReLU(((ActivationLayer) l).getActivationFn());
    }

    private static boolean isAdd(GraphVertex v) {
        return v.getClass() == ElementWiseVertex.class && ((ElementWiseVertex) v).getOp() == ElementWiseVertex.Op.Add;
    }

    /** Exact classes only (and our own sum): a subclass may override the backward pass and read its output. */
    private static boolean readsOnlyItsInputsBackward(GraphVertex v) {
        if (v != null && (v.getClass() == ElementWiseVertex.class || v.getClass() == InPlaceAdd.class)) {
            ElementWiseVertex.Op op = ((ElementWiseVertex) v).getOp();
            return op == ElementWiseVertex.Op.Add || op == ElementWiseVertex.Op.Subtract
                    || op == ElementWiseVertex.Op.Average;
        }
        if (!(v instanceof LayerVertex)) {
            return false; // network inputs (not vertices here), merges, preprocessors, custom vertices
        }
        Class<?> c = ((LayerVertex) v).getLayerConf().getLayer().getClass();
        return c == BatchNormalization.class || c == ConvolutionLayer.class || c == DenseLayer.class;
    }
}

package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Chooses where to cut a network into K modules when the user gives only K and a {@link SplitStrategy}: the
 * candidates are the valid cut vertices ({@link GraphAnalysis}) where the method's heads can read h_k, narrowed to
 * the block boundaries ({@link BlockBoundaries}) when there are enough of them ({@link #candidateCuts}), and the
 * strategy picks among them by layer count ({@code EQUAL_DEPTH}), estimated memory ({@code BALANCED_MEMORY}) or
 * estimated step time ({@code BALANCED_TIME}). Cuts the user names are checked, never moved.
 */
public final class CutPlanner {
    private static final Logger LOG = LoggerFactory.getLogger(CutPlanner.class);

    private CutPlanner() {
    }

    /**
     * The K-1 cut vertices chosen by {@code strategy}, in topological order.
     *
     * @throws IllegalArgumentException when the graph has fewer than K-1 usable cuts, or the strategy misbehaves
     */
    public static List<String> chooseCuts(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                          GraphAnalysis analysis, int numModules, SplitStrategy strategy,
                                          LocalLearning method, HeadContext context, int memoryBatchSize) {
        List<String> valid = candidateCuts(conf, inputTypes, analysis, numModules, method, context);
        int[] idx;
        if (strategy.cost() != SplitStrategy.Cost.LAYERS) {
            // balanced search: bytes or step time of each segment and of the heads a module ending there carries
            double[][] c = strategy.cost() == SplitStrategy.Cost.MEMORY
                    ? MemoryEstimator.splitCosts(conf, inputTypes, valid, heads(method), context, memoryBatchSize)
                    : StepTimeEstimator.splitCosts(conf, inputTypes, valid, heads(method), context);
            idx = strategy.chooseCuts(valid, c[0], c[1], numModules);
        } else {
            List<List<String>> segments = analysis.moduleVertices(valid);
            double[] cost = new double[segments.size()];
            for (int i = 0; i < cost.length; i++) {
                for (String v : segments.get(i)) {
                    cost[i] += analysis.layerCount(v);
                }
            }
            idx = strategy.chooseCuts(valid, cost, numModules);
        }
        if (idx == null || idx.length != numModules - 1) {
            throw new IllegalArgumentException("The split strategy returned " + Arrays.toString(idx) + " but "
                    + (numModules - 1) + " cut indices were needed");
        }
        List<String> chosen = new ArrayList<>();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= valid.size() || (i > 0 && idx[i] <= idx[i - 1])) {
                throw new IllegalArgumentException("The split strategy returned invalid cut indices "
                        + Arrays.toString(idx) + " for " + valid.size() + " valid cuts");
            }
            chosen.add(valid.get(idx[i]));
        }
        return chosen;
    }

    /**
     * The cuts an automatic split chooses among, in topological order: the head-compatible valid cuts
     * ({@link #headCompatibleCuts}) that are block boundaries ({@link BlockBoundaries}) and leave a layer with
     * parameters in every module, when there are at least K-1 of them; otherwise all head-compatible valid cuts
     * (with a warning), so that a network with few blocks can still be cut into K modules.
     *
     * @throws IllegalArgumentException when there are fewer than K-1 head-compatible valid cuts
     */
    public static List<String> candidateCuts(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                             GraphAnalysis analysis, int numModules, LocalLearning method,
                                             HeadContext context) {
        List<String> valid = headCompatibleCuts(conf, inputTypes, analysis.validCuts(), method, context);
        if (numModules - 1 > valid.size()) {
            throw new IllegalArgumentException("Cannot split into " + numModules + " modules: the graph has only "
                    + valid.size() + " valid cut vertices " + valid + " (K-1 = " + (numModules - 1)
                    + " needed); use fewer modules");
        }
        List<String> boundaries = withParametersInEveryModule(conf, analysis,
                BlockBoundaries.of(conf, analysis, valid));
        if (boundaries.size() >= numModules - 1) {
            return boundaries;
        }
        // Too few blocks for K modules: any valid cut is better than refusing K. Say so, as some chosen cuts may
        // fall inside a block (between a convolution and its batch norm).
        LOG.warn("Only {} block boundaries {} for the {} cuts of K = {} modules; choosing among all {} valid cuts {}."
                        + " Use fewer modules or cutAfter(...) to cut at block boundaries only.", boundaries.size(),
                boundaries, numModules - 1, numModules, valid.size(), valid);
        return valid;
    }

    /**
     * {@code cuts} less those that would leave a module without parameters, whichever of them are chosen: a module of
     * only pooling and activations (the global pooling before the classifier, say) trains nothing, and its heads cost
     * memory and time for nothing. Of two cuts with nothing to train between them the first is kept; a last module
     * without parameters drops the last cut.
     */
    private static List<String> withParametersInEveryModule(ComputationGraphConfiguration conf,
                                                            GraphAnalysis analysis, List<String> cuts) {
        List<List<String>> segments = analysis.moduleVertices(cuts);
        List<String> kept = new ArrayList<>();
        boolean trainable = false; // whether the vertices since the last kept cut hold parameters
        for (int i = 0; i <= cuts.size(); i++) {
            for (String v : segments.get(i)) {
                trainable |= conf.getVertices().get(v).numParams(true) > 0;
            }
            if (i < cuts.size() && trainable) {
                kept.add(cuts.get(i));
                trainable = false;
            }
        }
        if (!trainable && !kept.isEmpty()) {
            kept.remove(kept.size() - 1);
        }
        return kept;
    }

    /**
     * The cut vertices where every head of the method can be attached (a decoder needs a convolutional feature
     * map, so cuts after global pooling are left out when the method reconstructs the image). Each head is tried
     * on a scratch graph: it is the head that knows what it accepts.
     */
    public static List<String> headCompatibleCuts(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                                  List<String> valid, LocalLearning method, HeadContext context) {
        List<AuxiliaryHead> heads = heads(method);
        if (heads.isEmpty()) {
            return valid;
        }
        Map<String, InputType> types = GraphSplitter.activationTypes(conf, inputTypes);
        List<String> usable = new ArrayList<>();
        for (String v : valid) {
            boolean ok = true;
            for (AuxiliaryHead head : heads) {
                try {
                    head.attach(new NeuralNetConfiguration.Builder().graphBuilder().addInputs(v), v, types.get(v),
                            "probe_", 1.0, context);
                } catch (IllegalArgumentException e) {
                    ok = false;
                }
            }
            if (ok) {
                usable.add(v);
            }
        }
        return usable;
    }

    /**
     * The number of classes: nOut of the network's first output layer, or for a parameterless output layer
     * ({@code LossLayer}) nOut of the nearest layer before it that has one.
     */
    public static int inferNumClasses(ComputationGraphConfiguration conf) {
        String out = conf.getNetworkOutputs().get(0);
        // A parameterless output (LossLayer, as in the model zoo's Darknet19 and SqueezeNet) has nOut 0: the classes
        // are the channels of the last layer that has parameters, through single-input vertices (pooling, activation).
        String v = out;
        while (true) {
            GraphVertex gv = conf.getVertices().get(v);
            if (gv instanceof LayerVertex && ((LayerVertex) gv).getLayerConf().getLayer() instanceof FeedForwardLayer) {
                long nOut = ((FeedForwardLayer) ((LayerVertex) gv).getLayerConf().getLayer()).getNOut();
                if (nOut > 0) {
                    return (int) nOut;
                }
            }
            List<String> in = conf.getVertexInputs().get(v);
            if (in == null || in.size() != 1 || !conf.getVertices().containsKey(in.get(0))) {
                throw new IllegalArgumentException("Cannot infer the number of classes from output '" + out
                        + "'; set numClasses(n)");
            }
            v = in.get(0);
        }
    }

    /** What the heads need to know: classes and the image shape of the first input. */
    public static HeadContext headContext(InputType[] inputTypes, int classes) {
        InputType t = inputTypes[0];
        HeadContext.HeadContextBuilder b = HeadContext.builder().numClasses(classes);
        if (t instanceof InputType.InputTypeConvolutional) {
            InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) t;
            b.imageChannels(c.getChannels()).imageHeight(c.getHeight()).imageWidth(c.getWidth());
        } else if (t instanceof InputType.InputTypeConvolutionalFlat) {
            // flat images (an MNIST-style network): the decoder rebuilds them as the image the network reshapes to
            InputType.InputTypeConvolutionalFlat f = (InputType.InputTypeConvolutionalFlat) t;
            b.imageChannels(f.getDepth()).imageHeight(f.getHeight()).imageWidth(f.getWidth());
        } else {
            b.imageChannels(t.arrayElementsPerExample()).imageHeight(1).imageWidth(1);
        }
        return b.build();
    }

    private static List<AuxiliaryHead> heads(LocalLearning method) {
        List<AuxiliaryHead> heads = new ArrayList<>();
        if (method != null && method.getReconstructionHead() != null) {
            heads.add(method.getReconstructionHead());
        }
        if (method != null && method.getLabelHead() != null) {
            heads.add(method.getLabelHead());
        }
        return heads;
    }
}

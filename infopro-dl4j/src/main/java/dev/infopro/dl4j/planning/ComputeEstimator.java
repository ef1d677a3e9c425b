package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Estimated compute of a graph's vertices, a proxy for their share of a training step's time (for
 * {@link dev.infopro.dl4j.config.SplitStrategy#BALANCED_TIME}). A vertex with P parameters producing an output
 * with S spatial positions and E elements per example costs {@code 2 P S + E} operations per example in its forward
 * pass: a convolution's or dense layer's multiply-adds (its weights are applied at every output position), and one
 * operation per output element for everything else (activations, batch norm, pooling, merges). Backward passes cost
 * about twice the forward pass for every vertex alike, so the ratio between modules, which is all a split needs, is
 * that of the forward estimate.
 */
public final class ComputeEstimator {
    private ComputeEstimator() {
    }

    /** Estimated forward operations per example of each vertex of {@code conf}, in topological order. */
    public static Map<String, Double> vertexCosts(ComputationGraphConfiguration conf, InputType... inputTypes) {
        Map<String, InputType> types = GraphSplitter.activationTypes(conf, inputTypes);
        Map<String, Double> costs = new LinkedHashMap<>();
        for (String v : new GraphAnalysis(conf).topologicalOrder(false)) {
            GraphVertex gv = conf.getVertices().get(v);
            InputType out = types.get(v);
            if (gv == null || out == null) {
                continue;
            }
            costs.put(v, cost(gv.numParams(true), out));
        }
        return costs;
    }

    static double cost(long params, InputType out) {
        double positions = 1;
        if (out instanceof InputType.InputTypeConvolutional) {
            InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) out;
            positions = (double) c.getHeight() * c.getWidth();
        }
        return 2.0 * params * positions + out.arrayElementsPerExample();
    }

    /** Estimated forward operations per example of {@code heads} reading an input of type {@code in}. */
    public static double headsCost(ComputationGraphConfiguration network, InputType in, List<AuxiliaryHead> heads,
                                   HeadContext context) {
        double total = 0;
        for (double c : vertexCosts(MemoryEstimator.headsGraph(network, in, heads, context), in).values()) {
            total += c;
        }
        return total;
    }

    /**
     * Compute costs for the split search over {@code validCuts}, in the form
     * {@link dev.infopro.dl4j.config.SplitStrategy#chooseCuts(List, double[], double[], int)} takes.
     *
     * @return {segmentCost (validCuts.size()+1 entries), cutCost (validCuts.size() entries)}: the operations of the
     *         backbone vertices of each segment, and of the heads a module ending at each valid cut carries
     */
    public static double[][] splitCosts(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                        List<String> validCuts, List<AuxiliaryHead> heads, HeadContext context) {
        Map<String, Double> vertex = vertexCosts(conf, inputTypes);
        List<List<String>> segments = new GraphAnalysis(conf).moduleVertices(validCuts);
        double[] segmentCost = new double[segments.size()];
        for (int i = 0; i < segmentCost.length; i++) {
            for (String v : segments.get(i)) {
                segmentCost[i] += vertex.getOrDefault(v, 0.0);
            }
        }
        double[] cutCost = HeadCosts.atCuts(conf, inputTypes, validCuts, heads,
                t -> headsCost(conf, t, heads, context));
        return new double[][]{segmentCost, cutCost};
    }
}

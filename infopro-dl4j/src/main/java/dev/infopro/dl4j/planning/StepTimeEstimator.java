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
 * Estimated share of a training step's time of a graph's vertices (for
 * {@link dev.infopro.dl4j.config.SplitStrategy#BALANCED_TIME}): the number of elements each vertex outputs per
 * example. Every output element is written in the forward pass and read and written again in the backward pass, and
 * on the CPU (oneDNN) a step's time follows that memory traffic, not the arithmetic: measured module step times of
 * ResNet-32 InfoPro modules (docs/benchmarks/pipeline.md) fit the output elements within 20%, while a
 * multiply-add count missed them by up to 84% and added nothing to the fit. Only the ratio between modules matters
 * for a split, so the estimate has no unit.
 */
public final class StepTimeEstimator {
    private StepTimeEstimator() {
    }

    /** Estimated step cost (output elements per example) of each vertex of {@code conf}, in topological order. */
    public static Map<String, Double> vertexCosts(ComputationGraphConfiguration conf, InputType... inputTypes) {
        Map<String, InputType> types = GraphSplitter.activationTypes(conf, inputTypes);
        Map<String, Double> costs = new LinkedHashMap<>();
        for (String v : new GraphAnalysis(conf).topologicalOrder(false)) {
            GraphVertex gv = conf.getVertices().get(v);
            InputType out = types.get(v);
            if (gv == null || out == null) {
                continue;
            }
            costs.put(v, (double) out.arrayElementsPerExample());
        }
        return costs;
    }

    /** Estimated step cost of {@code heads} reading an input of type {@code in}. */
    public static double headsCost(ComputationGraphConfiguration network, InputType in, List<AuxiliaryHead> heads,
                                   HeadContext context) {
        double total = 0;
        for (double c : vertexCosts(MemoryEstimator.headsGraph(network, in, heads, context), in).values()) {
            total += c;
        }
        return total;
    }

    /**
     * Step-time costs for the split search over {@code validCuts}, in the form
     * {@link dev.infopro.dl4j.config.SplitStrategy#chooseCuts(List, double[], double[], int)} takes.
     *
     * @return {segmentCost (validCuts.size()+1 entries), cutCost (validCuts.size() entries)}: the estimate for the
     *         backbone vertices of each segment, and for the heads a module ending at each valid cut carries
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

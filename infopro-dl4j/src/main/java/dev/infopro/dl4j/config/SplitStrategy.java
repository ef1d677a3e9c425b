package dev.infopro.dl4j.config;

import java.util.List;

/**
 * Chooses where to cut a network into K modules, among its candidate cut vertices.
 *
 * <p>The candidates are the valid cuts where the method's heads attach, narrowed by the planner to the network's
 * block boundaries (after a residual sum's activation, a pooling, an activation; never between a convolution and its
 * batch norm) when it has at least K-1 of them ({@code planning.CutPlanner.candidateCuts}, docs/method.md §1.5).
 * Implementations receive them in topological order (named {@code validCuts} below) and the cost of each segment
 * between consecutive candidates ({@code segmentCost[i]} = cost of the vertices after candidate i-1 up to and
 * including candidate i; {@code segmentCost[validCuts.size()]} = the rest of the network). Which cost they get is
 * their {@link #cost()}: the number of layers, estimated training memory (activation plus working bytes per segment,
 * and the bytes of the heads a module ending at each candidate would carry), or estimated step time (the activation
 * elements written and read back, which a step's time follows on the CPU, likewise with the heads').
 */
@FunctionalInterface
public interface SplitStrategy {

    /**
     * @param validCuts   candidate cut vertex names (valid cuts), in topological order
     * @param segmentCost cost of each of the validCuts.size()+1 segments
     * @param numModules  K, the number of modules wanted (&gt;= 2)
     * @return K-1 indices into validCuts, strictly increasing
     * @throws IllegalArgumentException when K-1 cuts cannot be chosen
     */
    int[] chooseCuts(List<String> validCuts, double[] segmentCost, int numModules);

    /**
     * Like {@link #chooseCuts(List, double[], int)}, with the extra cost {@code cutCost[i]} paid by a module that ends
     * at valid cut i (its auxiliary heads); a module covering segments a..b (b &lt; validCuts.size()) costs
     * {@code segmentCost[a] + ... + segmentCost[b] + cutCost[b]}. The default ignores {@code cutCost}.
     */
    default int[] chooseCuts(List<String> validCuts, double[] segmentCost, double[] cutCost, int numModules) {
        return chooseCuts(validCuts, segmentCost, numModules);
    }

    /** The costs a strategy balances. */
    enum Cost {
        /** Number of layers. */
        LAYERS,
        /** Estimated training memory in bytes. */
        MEMORY,
        /** Estimated step time: the activation elements the modules write and read back. */
        TIME
    }

    /** Which cost the planner passes to {@link #chooseCuts}; the number of layers by default. */
    default Cost cost() {
        return Cost.LAYERS;
    }

    /** Cuts so that the modules hold about the same number of layers (cost). */
    SplitStrategy EQUAL_DEPTH = SplitStrategies::equalDepth;

    /**
     * InfoPro* (docs/method.md §1.5): the K-1 valid cuts that minimise the largest module's estimated training
     * memory (its backbone activations and working memory plus its heads), found exactly by dynamic programming over
     * the ordered valid cuts (min-max partition); ties are broken by the smaller sum of squared module costs.
     */
    SplitStrategy BALANCED_MEMORY = new SplitStrategies.Balanced("BALANCED_MEMORY", Cost.MEMORY);

    /**
     * For pipelined execution, whose throughput the slowest module sets: the K-1 valid cuts that minimise the largest
     * module's estimated step time (its backbone's and its heads' activation elements,
     * {@code planning.StepTimeEstimator}), by the same exact min-max search as {@link #BALANCED_MEMORY}.
     */
    SplitStrategy BALANCED_TIME = new SplitStrategies.Balanced("BALANCED_TIME", Cost.TIME);
}

package dev.infopro.dl4j.config;

import java.util.List;

/**
 * Chooses where to cut a network into K modules, among its valid cut vertices.
 *
 * <p>Implementations receive the valid cuts in topological order and the cost of each segment between consecutive
 * valid cuts ({@code segmentCost[i]} = cost of the vertices after valid cut i-1 up to and including valid cut i;
 * {@code segmentCost[validCuts.size()]} = the rest of the network). The built-in cost is the number of layers.
 */
@FunctionalInterface
public interface SplitStrategy {

    /**
     * @param validCuts   valid cut vertex names, in topological order
     * @param segmentCost cost of each of the validCuts.size()+1 segments
     * @param numModules  K, the number of modules wanted (&gt;= 2)
     * @return K-1 indices into validCuts, strictly increasing
     * @throws IllegalArgumentException when K-1 cuts cannot be chosen
     */
    int[] chooseCuts(List<String> validCuts, double[] segmentCost, int numModules);

    /** Cuts so that the modules hold about the same number of layers (cost). */
    SplitStrategy EQUAL_DEPTH = SplitStrategies::equalDepth;

    /** Cuts so that the modules need about the same training memory (InfoPro*, spec 1.5). Not implemented yet. */
    SplitStrategy BALANCED_MEMORY = (cuts, cost, k) -> {
        throw new UnsupportedOperationException("SplitStrategy.BALANCED_MEMORY is not implemented yet; use"
                + " SplitStrategy.EQUAL_DEPTH or name the cut vertices with cutAfter(...)");
    };
}

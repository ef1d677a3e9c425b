package dev.infopro.dl4j.samediff;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * One piece of a network written in SameDiff: it adds its ops and parameters to {@code sd} and returns its output.
 * A unit is called once per module graph it lands in and once more for the inference graph, so it must create its
 * parameters under fixed names (the trainer copies them between the graphs by name) and must not keep state
 * of its own. Batch norm must come from {@link dev.infopro.dl4j.heads.SameDiffLayers#batchNorm} with the given
 * {@code training} flag, so that running statistics are tracked.
 */
@FunctionalInterface
public interface SameDiffUnit {

    /**
     * @param sd       the graph to add to
     * @param input    the unit's input
     * @param training whether batch norm uses batch statistics (training graph) or running ones (inference graph)
     * @return the unit's output
     */
    SDVariable define(SameDiff sd, SDVariable input, boolean training);
}

package dev.infopro.dl4j.engine;

import lombok.Value;
import org.nd4j.linalg.api.ndarray.INDArray;

/** One checked mini-batch: the network's input arrays and label arrays. */
@Value
public class Batch {
    /** The network's input arrays. */
    INDArray[] features;
    /** The network's label arrays. */
    INDArray[] labels;

    /** Examples in the batch. */
    public int size() {
        return (int) features[0].size(0);
    }
}

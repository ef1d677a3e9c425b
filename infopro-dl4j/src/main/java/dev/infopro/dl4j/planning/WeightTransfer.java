package dev.infopro.dl4j.planning;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Map;

/**
 * Copies parameters between graphs by layer name: every entry of each layer's parameter table (weights, biases and
 * batch-norm running mean/variance, which DL4J keeps as parameters).
 */
public final class WeightTransfer {

    private WeightTransfer() {
    }

    /**
     * Copies the parameters of every layer of {@code to} that also exists in {@code from}.
     *
     * @return the number of layers copied
     * @throws IllegalArgumentException when a shared layer's parameter shapes differ
     */
    public static int copyMatchingLayers(ComputationGraph from, ComputationGraph to) {
        int copied = 0;
        for (Layer dst : to.getLayers()) {
            String name = dst.conf().getLayer().getLayerName();
            if (from.getVertex(name) == null || !from.getVertex(name).hasLayer()) {
                continue;
            }
            Layer src = from.getLayer(name);
            Map<String, INDArray> dstTable = dst.paramTable();
            Map<String, INDArray> srcTable = src.paramTable();
            for (Map.Entry<String, INDArray> e : dstTable.entrySet()) {
                INDArray s = srcTable.get(e.getKey());
                if (s == null || !Arrays.equals(s.shape(), e.getValue().shape())) {
                    throw new IllegalArgumentException("Layer '" + name + "' parameter '" + e.getKey()
                            + "' cannot be copied: shape " + (s == null ? "missing" : Arrays.toString(s.shape()))
                            + " vs " + Arrays.toString(e.getValue().shape()));
                }
                e.getValue().assign(s);
            }
            copied++;
        }
        return copied;
    }
}

package dev.infopro.dl4j.engine;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Map;

/** Turns the exported ComputationGraph of a model built from a MultiLayerNetwork back into a MultiLayerNetwork. */
final class NetworkExport {
    private NetworkExport() {
    }

    /**
     * @param graph             the network as {@code MultiLayerNetwork.toComputationGraph()} laid it out (vertex
     *                          "i" is layer i), with the trained weights
     * @param multiLayerOrigin  the original MultiLayerConfiguration as JSON
     */
    static MultiLayerNetwork toMultiLayerNetwork(ComputationGraph graph, String multiLayerOrigin) {
        if (multiLayerOrigin == null) {
            throw new IllegalStateException("This model was built from a ComputationGraph, so it exports as one: use"
                    + " toComputationGraph(). toMultiLayerNetwork() is for models built with"
                    + " LocalModuleGraph.builder(MultiLayerNetwork)");
        }
        MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(multiLayerOrigin));
        net.init();
        Layer[] layers = net.getLayers();
        for (int i = 0; i < layers.length; i++) {
            Map<String, INDArray> dst = layers[i].paramTable();
            Map<String, INDArray> src = graph.getLayer(String.valueOf(i)).paramTable();
            for (Map.Entry<String, INDArray> e : dst.entrySet()) {
                INDArray s = src.get(e.getKey());
                if (s == null || !Arrays.equals(s.shape(), e.getValue().shape())) {
                    throw new IllegalStateException("Layer " + i + " parameter '" + e.getKey() + "' does not match"
                            + " the MultiLayerNetwork it was converted from: " + (s == null ? "missing"
                            : Arrays.toString(s.shape())) + " vs " + Arrays.toString(e.getValue().shape()));
                }
                e.getValue().assign(s);
            }
        }
        net.getLayerWiseConfigurations().setIterationCount(graph.getConfiguration().getIterationCount());
        net.getLayerWiseConfigurations().setEpochCount(graph.getConfiguration().getEpochCount());
        return net;
    }
}

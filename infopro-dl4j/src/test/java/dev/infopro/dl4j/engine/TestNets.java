package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small hand-written DL4J networks and data for the engine tests (double precision). */
final class TestNets {
    static final int C = 2, H = 6, W = 6, CLASSES = 3, BATCH = 8;
    static final InputType INPUT = InputType.convolutional(H, W, C);

    private TestNets() {
    }

    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    static HeadContext context() {
        return HeadContext.builder().numClasses(CLASSES).imageChannels(C).imageHeight(H).imageWidth(W).build();
    }

    /**
     * Residual CNN: c0 -> bn0 -> [r1a -> r1b] + bn0 -> add1 -> act1 -> c2 -> gap -> out.
     * Valid cuts: c0, bn0, add1, act1, c2, gap.
     *
     * @param frozenAfter when non-null, a FrozenVertex(ScaleVertex(1)) is inserted after that vertex (gradient cut)
     */
    static ComputationGraphConfiguration.GraphBuilder residual(IUpdater updater, double l2, boolean bn, String frozenAfter) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(42).dataType(DataType.DOUBLE).updater(updater).weightInit(WeightInit.XAVIER)
                .l2(l2).l2Bias(l2).convolutionMode(ConvolutionMode.Same)
                .graphBuilder().addInputs("in");
        g.addLayer("c0", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in");
        String prev = "c0";
        if (bn) {
            g.addLayer("bn0", new BatchNormalization.Builder().build(), "c0");
            prev = "bn0";
        }
        g.addLayer("r1a", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.TANH).build(), prev);
        g.addLayer("r1b", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build(), "r1a");
        g.addVertex("add1", new ElementWiseVertex(ElementWiseVertex.Op.Add), prev, "r1b");
        g.addLayer("act1", new ActivationLayer.Builder().activation(Activation.TANH).build(), "add1");
        String c2In = "act1";
        if ("act1".equals(frozenAfter)) {
            g.addVertex("frozen", new FrozenVertex(new ScaleVertex(1.0)), "act1");
            c2In = "frozen";
        }
        g.addLayer("c2", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.TANH).build(), c2In);
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c2");
        g.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build(), "gap");
        g.setOutputs("out").setInputTypes(INPUT);
        return g;
    }

    static ComputationGraphConfiguration residualConf(IUpdater updater) {
        return residual(updater, 0.0, true, null).build();
    }

    /** A MultiLayerNetwork-shaped chain: conv, conv, dense (CNN->FF preprocessor), output. */
    static MultiLayerConfiguration chain(IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE).updater(updater)
                .weightInit(WeightInit.XAVIER).convolutionMode(ConvolutionMode.Same).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.TANH).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(INPUT).build();
    }

    /** A deterministic random batch: features ~ N(0,1), one-hot labels. */
    static DataSet batch(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.DOUBLE, BATCH, C, H, W);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, BATCH, CLASSES);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, (i + seed) % CLASSES, 1.0);
        }
        return new DataSet(x, y);
    }

    static double maxAbsDiff(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }
}

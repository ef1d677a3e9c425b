package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.TestClassifierHead;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.SplittableRandom;

/** A tiny two-module network (conv, batch norm | conv, pooling, softmax) and synthetic 6x6 images, in float. */
public final class CheckpointTestNets {
    public static final int C = 1, H = 6, W = 6, CLASSES = 3, BATCH = 8;

    private CheckpointTestNets() {
    }

    /** n random images whose label is correlated with their brightness, so training makes progress. */
    public static ImageDataset dataset(int n) {
        SplittableRandom r = new SplittableRandom(5);
        byte[] px = new byte[n * C * H * W];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % CLASSES;
            for (int p = 0; p < C * H * W; p++) {
                px[i * C * H * W + p] = (byte) (labels[i] * 70 + r.nextInt(80));
            }
        }
        return new ImageDataset("synthetic", px, labels, CLASSES, C, H, W, null);
    }

    /** Shuffling iterator with prefetching (which must not affect the order). */
    public static ImageDataSetIterator iterator(ImageDataset d, long seed) {
        return ImageDataSetIterator.builder().dataset(d).batchSize(BATCH).seed(seed).prefetch(2).build();
    }

    public static ComputationGraphConfiguration conf() {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.FLOAT)
                .updater(new Nesterovs(0.05, 0.9)).weightInit(WeightInit.XAVIER)
                .convolutionMode(ConvolutionMode.Same).graphBuilder().addInputs("in")
                .addLayer("c0", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("bn0", new BatchNormalization.Builder().build(), "c0")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.TANH).build(), "bn0")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(H, W, C)).build();
    }

    /** A fresh model: same seed, same initial weights every time. */
    public static LocalModuleGraph model() {
        ComputationGraph g = new ComputationGraph(conf());
        g.init();
        return LocalModuleGraph.builder(g).inputTypes(InputType.convolutional(H, W, C)).cutAfter("bn0")
                .method(LocalLearning.greedy(new TestClassifierHead())).weightDecay(1e-3).build();
    }

    /** Largest absolute difference over all parameters and updater states of all modules. */
    public static double maxDiff(LocalModuleGraph a, LocalModuleGraph b) {
        if (a.numModules() != b.numModules()) {
            throw new AssertionError("module counts differ");
        }
        double d = 0;
        for (int k = 0; k < a.numModules(); k++) {
            ComputationGraph ma = a.getModules().get(k);
            ComputationGraph mb = b.getModules().get(k);
            d = Math.max(d, diff(ma.params(), mb.params()));
            d = Math.max(d, diff(ma.getUpdater().getStateViewArray(), mb.getUpdater().getStateViewArray()));
        }
        return d;
    }

    private static double diff(INDArray x, INDArray y) {
        if (x == null || y == null) {
            if (x != y) {
                throw new AssertionError("one state is null");
            }
            return 0;
        }
        if (!java.util.Arrays.equals(x.shape(), y.shape())) {
            throw new AssertionError("shapes differ");
        }
        return x.sub(y).amaxNumber().doubleValue();
    }
}

package dev.infopro.dl4j.models;

import dev.infopro.dl4j.init.HeFanOutNormal;
import dev.infopro.dl4j.init.TorchBiasInit;
import dev.infopro.dl4j.init.TorchDefaultUniform;
import lombok.Builder;
import lombok.Value;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;

/**
 * The CIFAR ResNets of the InfoPro reference (docs/method.md §2.1), as DL4J {@link ComputationGraphConfiguration}s.
 *
 * <p>Depth 6n+2 (8, 14, 20, 32, 44, 56, 110, ...): a stem conv3x3(16) + BN + ReLU, three stages of n BasicBlocks
 * with 16, 32 and 64 channels (first block of stages 2 and 3 has stride 2 and a conv1x1 + BN projection shortcut),
 * global average pooling and a fully connected softmax classifier. Convolutions have no bias and He fan-out
 * initialisation; batch norm has eps 1e-5 and a running-average decay of 0.9 (PyTorch momentum 0.1); the
 * classifier uses PyTorch's default uniform initialisation (apply {@link #init} or {@link TorchBiasInit} for the
 * bias).
 *
 * <p>Vertex names make cuts readable: {@code stem} is the stem's output, {@code s<stage>b<block>} the output
 * (after the final ReLU) of block {@code block} (0-based) of stage {@code stage} (1-based), e.g. {@code s1b0} ..
 * {@code s3b17} for ResNet-110. The "L2.1" of docs/method.md §2.2 is {@code s2b1}. Inner vertices are named
 * {@code s2b1_conv1}, {@code s2b1_bn1}, ..., {@code s2b1_add}; the classifier is {@code gap} then {@code fc}.
 */
@Value
@Builder(toBuilder = true)
public class CifarResNet {
    /** Depth 6n+2. */
    @Builder.Default
    int depth = 32;
    /** Input image channels. */
    @Builder.Default
    long channels = 3;
    /** Input image height. */
    @Builder.Default
    long height = 32;
    /** Input image width. */
    @Builder.Default
    long width = 32;
    /** Number of classes. */
    @Builder.Default
    int numClasses = 10;
    /** Random seed for the initial weights. */
    @Builder.Default
    long seed = 12345;
    /** Updater stored in the configuration (LocalModuleGraph replaces it with its own). */
    @Builder.Default
    IUpdater updater = new Sgd(0.1);
    /** Data type of parameters and activations. */
    @Builder.Default
    DataType dataType = DataType.FLOAT;

    /** Widths of the three stages. */
    private static final int[] WIDTHS = {16, 32, 64};

    /** Number of BasicBlocks per stage, (depth - 2) / 6. */
    public int blocksPerStage() {
        if (depth < 8 || (depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("CIFAR ResNet depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, "
                    + "110, ...), got " + depth);
        }
        return (depth - 2) / 6;
    }

    /** Name of the output vertex of block {@code block} (0-based) of stage {@code stage} (1-based). */
    public static String blockName(int stage, int block) {
        return "s" + stage + "b" + block;
    }

    /** The backbone's units in order: {@code stem}, then every block output. These are the valid cut vertices. */
    public List<String> units() {
        int n = blocksPerStage();
        List<String> units = new ArrayList<>();
        units.add("stem");
        for (int s = 1; s <= 3; s++) {
            for (int b = 0; b < n; b++) {
                units.add(blockName(s, b));
            }
        }
        return units;
    }

    /** Builds the configuration. */
    public ComputationGraphConfiguration configuration() {
        int n = blocksPerStage();
        if (channels < 1 || height < 1 || width < 1 || numClasses < 2) {
            throw new IllegalArgumentException("CifarResNet needs channels, height, width >= 1 and numClasses >= 2, got "
                    + channels + "x" + height + "x" + width + ", " + numClasses + " classes");
        }
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(updater)
                .weightInit(new HeFanOutNormal())
                .convolutionMode(ConvolutionMode.Truncate)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(height, width, channels));

        conv(g, "stem_conv", "input", channels, WIDTHS[0], 3, 1);
        bn(g, "stem_bn", "stem_conv", WIDTHS[0]);
        g.addLayer("stem", new ActivationLayer.Builder().activation(Activation.RELU).build(), "stem_bn");

        String prev = "stem";
        long inC = WIDTHS[0];
        for (int s = 1; s <= 3; s++) {
            int outC = WIDTHS[s - 1];
            for (int b = 0; b < n; b++) {
                int stride = (s > 1 && b == 0) ? 2 : 1;
                prev = basicBlock(g, blockName(s, b), prev, inC, outC, stride);
                inC = outC;
            }
        }
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), prev);
        g.addLayer("fc", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(inC).nOut(numClasses)
                .activation(Activation.SOFTMAX)
                .weightInit(new TorchDefaultUniform())
                .build(), "gap");
        g.setOutputs("fc");
        return g.build();
    }

    /** Builds, initialises (with the reference's PyTorch-style bias init for the classifier) and returns the graph. */
    public ComputationGraph init() {
        ComputationGraph graph = new ComputationGraph(configuration());
        graph.init();
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(seed);
        TorchBiasInit.apply(graph);
        return dev.infopro.dl4j.backend.OneDnnHelpers.patch(graph);
    }

    /**
     * A batch of uniform random images of this network's input shape with one-hot labels cycling through the
     * classes: the synthetic data of the step-time and memory benchmarks, where only shapes matter.
     */
    public org.nd4j.linalg.dataset.DataSet syntheticBatch(int batchSize, long seed) {
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(seed);
        org.nd4j.linalg.api.ndarray.INDArray x = org.nd4j.linalg.factory.Nd4j.rand(dataType, batchSize, channels, height, width);
        org.nd4j.linalg.api.ndarray.INDArray y = org.nd4j.linalg.factory.Nd4j.zeros(dataType, batchSize, numClasses);
        for (int i = 0; i < batchSize; i++) {
            y.putScalar(i, i % numClasses, 1.0);
        }
        return new org.nd4j.linalg.dataset.DataSet(x, y);
    }

    private static String basicBlock(ComputationGraphConfiguration.GraphBuilder g, String name, String in,
                                     long inC, long outC, int stride) {
        conv(g, name + "_conv1", in, inC, outC, 3, stride);
        bn(g, name + "_bn1", name + "_conv1", outC);
        g.addLayer(name + "_relu1", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn1");
        conv(g, name + "_conv2", name + "_relu1", outC, outC, 3, 1);
        bn(g, name + "_bn2", name + "_conv2", outC);
        String shortcut = in;
        if (stride != 1 || inC != outC) {
            conv(g, name + "_sc_conv", in, inC, outC, 1, stride);
            bn(g, name + "_sc_bn", name + "_sc_conv", outC);
            shortcut = name + "_sc_bn";
        }
        g.addVertex(name + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), name + "_bn2", shortcut);
        g.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_add");
        return name;
    }

    private static void conv(ComputationGraphConfiguration.GraphBuilder g, String name, String in,
                             long inC, long outC, int k, int stride) {
        g.addLayer(name, new ConvolutionLayer.Builder(k, k)
                .stride(stride, stride)
                .padding(k / 2, k / 2)
                .nIn(inC).nOut(outC)
                .hasBias(false)
                .activation(Activation.IDENTITY)
                .build(), in);
    }

    private static void bn(ComputationGraphConfiguration.GraphBuilder g, String name, String in, long c) {
        g.addLayer(name, new BatchNormalization.Builder()
                .nIn(c).nOut(c)
                .eps(1e-5)
                .decay(0.9)
                .useLogStd(false)
                .build(), in);
    }
}

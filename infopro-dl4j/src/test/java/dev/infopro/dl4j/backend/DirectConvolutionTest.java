package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link DirectConvolution} computes what libnd4j's oneDNN convolution computes: outputs, input gradients, weight
 * and bias gradients of one DL4J convolution layer, over the geometries a network meets (padding modes, strides,
 * dilation, 1x1 shortcuts, asymmetric Same padding, input that a stride leaves out, with and without bias). Where
 * libnd4j's oneDNN op fails (dilation), DL4J's own Java path is the reference.
 */
class DirectConvolutionTest {

    @BeforeAll
    static void oneDnn() {
        Nd4j.create(1);
        assumeTrue(OneDnnHelpers.active(), "needs the oneDNN CPU build");
        assumeTrue(OneDnn.available(), "oneDNN's own library did not load on this platform");
    }

    private static ComputationGraph layer(int k, int stride, int pad, int dilation, boolean bias, ConvolutionMode mode,
                                          int channels, int size, boolean direct) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(11)
                .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER).convolutionMode(mode)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(size, size, channels))
                .addLayer("c", new ConvolutionLayer.Builder(k, k).stride(stride, stride).padding(pad, pad)
                        .dilation(dilation, dilation).nOut(16).hasBias(bias).activation(Activation.IDENTITY)
                        .build(), "in")
                .setOutputs("c").build());
        g.init();
        g.initGradientsView(); // the layer writes its gradients into views of it
        String before = System.getProperty(OneDnnHelpers.DIRECT_CONVOLUTION_PROPERTY);
        System.setProperty(OneDnnHelpers.DIRECT_CONVOLUTION_PROPERTY, String.valueOf(direct));
        try {
            OneDnnHelpers.patch(g);
        } finally {
            if (before == null) {
                System.clearProperty(OneDnnHelpers.DIRECT_CONVOLUTION_PROPERTY);
            } else {
                System.setProperty(OneDnnHelpers.DIRECT_CONVOLUTION_PROPERTY, before);
            }
        }
        assertEquals(direct, ((PatchedConvHelper) OneDnnHelpers.helperOf(g.getLayer("c"))).direct());
        return g;
    }

    @ParameterizedTest(name = "k={0} stride={1} pad={2} dilation={3} bias={4} {5} {6}ch {7}px")
    @CsvSource({
            "3, 1, 1, 1, false, Same, 16, 12",     // a ResNet convolution
            "3, 2, 1, 1, false, Truncate, 16, 12", // a ResNet downsampling convolution
            "1, 2, 0, 1, false, Truncate, 16, 12", // a 1x1 shortcut
            "3, 1, 1, 1, true, Truncate, 3, 11",   // an image input, with bias, odd size
            "3, 2, 0, 1, true, Same, 5, 11",       // Same with asymmetric padding (one more at the end)
            "2, 1, 0, 1, false, Same, 4, 9",       // even kernel: all Same padding at the end
            "3, 1, 2, 2, true, Truncate, 8, 10",   // dilation
            "5, 3, 1, 1, false, Truncate, 6, 16",  // stride 3
            "3, 2, 0, 1, true, Truncate, 4, 10",   // Truncate leaving out the last row and column
    })
    void matchesLibnd4jsConvolution(int k, int stride, int pad, int dilation, boolean bias, ConvolutionMode mode,
                                    int channels, int size) {
        ComputationGraph direct = layer(k, stride, pad, dilation, bias, mode, channels, size, true);
        ComputationGraph viaLibnd4j = layer(k, stride, pad, dilation, bias, mode, channels, size, false);
        viaLibnd4j.setParams(direct.params().dup());
        Nd4j.getRandom().setSeed(k * 100 + stride * 10 + size);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, channels, size, size).subi(0.5);
        Pair<INDArray, Pair<Gradient, INDArray>> a = run(direct.getLayer("c"), x, null);
        Pair<INDArray, Pair<Gradient, INDArray>> b = run(viaLibnd4j.getLayer("c"), x, a.getFirst());
        assertClose("output", b.getFirst(), a.getFirst());
        assertClose("input gradient", b.getSecond().getSecond(), a.getSecond().getSecond());
        assertClose("weight gradient", b.getSecond().getFirst().getGradientFor(ConvolutionParamInitializer.WEIGHT_KEY),
                a.getSecond().getFirst().getGradientFor(ConvolutionParamInitializer.WEIGHT_KEY));
        if (bias) {
            assertClose("bias gradient", b.getSecond().getFirst().getGradientFor(ConvolutionParamInitializer.BIAS_KEY),
                    a.getSecond().getFirst().getGradientFor(ConvolutionParamInitializer.BIAS_KEY));
        }
    }

    /** Forward pass, then the backward pass with a fixed gradient at the output (derived from the output's shape). */
    private static Pair<INDArray, Pair<Gradient, INDArray>> run(Layer layer, INDArray x, INDArray shapeOf) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        INDArray out = layer.activate(true, mgr).dup();
        Nd4j.getRandom().setSeed(7);
        INDArray eps = Nd4j.rand(DataType.FLOAT, out.shape()).subi(0.5);
        Pair<Gradient, INDArray> grads = layer.backpropGradient(eps, mgr);
        Gradient copy = new org.deeplearning4j.nn.gradient.DefaultGradient();
        grads.getFirst().gradientForVariable().forEach((name, g) -> copy.setGradientFor(name, g.dup()));
        return new Pair<>(out, new Pair<>(copy, grads.getSecond().dup()));
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertNotNull(actual, what);
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what);
        double scale = expected.norm2Number().doubleValue() / Math.sqrt(expected.length());
        double maxDiff = expected.sub(actual).amaxNumber().doubleValue();
        // float sums of at most a few thousand products, in oneDNN's order on both sides (mostly the same kernels)
        assertTrue(maxDiff <= 1e-5 * Math.max(1, scale) * 10, what + ": max difference " + maxDiff + " (scale "
                + scale + ")");
    }

    @Test
    void takesOnlyWhatItComputes() {
        INDArray w = Nd4j.rand(DataType.FLOAT, 8, 4, 3, 3);
        int[] one = {1, 1};
        assertNotNull(DirectConvolution.geometry(Nd4j.rand(DataType.FLOAT, 2, 4, 9, 9), w, false, new int[]{3, 3},
                one, one, ConvolutionMode.Same, one, CNN2DFormat.NCHW));
        assertNull(DirectConvolution.geometry(Nd4j.rand(DataType.DOUBLE, 2, 4, 9, 9), w.castTo(DataType.DOUBLE),
                false, new int[]{3, 3}, one, one, ConvolutionMode.Same, one, CNN2DFormat.NCHW), "double");
        assertNull(DirectConvolution.geometry(Nd4j.rand(DataType.FLOAT, 2, 9, 9, 4), w, false, new int[]{3, 3},
                one, one, ConvolutionMode.Same, one, CNN2DFormat.NHWC), "NHWC");
        // 10 pixels, kernel 3, stride 2, no padding: Truncate leaves out the last column, as oneDNN does
        assertNotNull(DirectConvolution.geometry(Nd4j.rand(DataType.FLOAT, 2, 4, 10, 10), w, false, new int[]{3, 3},
                new int[]{2, 2}, new int[]{0, 0}, ConvolutionMode.Truncate, one, CNN2DFormat.NCHW), "dropped input");
    }

    /**
     * Primitives built on one thread run on two others at once (as pipelined modules run them), each thread with its
     * own layer of the same geometry: every result equals the one computed alone.
     */
    @Test
    void primitivesRunOnOtherThreadsAtOnce() throws Exception {
        ComputationGraph[] nets = {layer(3, 1, 1, 1, false, ConvolutionMode.Same, 16, 28, true),
                layer(3, 1, 1, 1, false, ConvolutionMode.Same, 16, 28, true)};
        INDArray[] inputs = new INDArray[2];
        INDArray[] alone = new INDArray[2];
        for (int t = 0; t < 2; t++) {
            Nd4j.getRandom().setSeed(40 + t);
            inputs[t] = Nd4j.rand(DataType.FLOAT, 16, 16, 28, 28).subi(0.5);
            alone[t] = run(nets[t].getLayer("c"), inputs[t], null).getFirst(); // builds the primitives here
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.List<java.util.concurrent.Future<Double>> worst = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int which = t;
                worst.add(pool.submit(() -> {
                    double max = 0;
                    for (int r = 0; r < 20; r++) {
                        INDArray out = run(nets[which].getLayer("c"), inputs[which], null).getFirst();
                        max = Math.max(max, out.sub(alone[which]).amaxNumber().doubleValue());
                    }
                    return max;
                }));
            }
            for (int t = 0; t < 2; t++) {
                assertEquals(0.0, worst.get(t).get(), 0.0, "thread " + t + ": outputs differ from the one alone");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A layer first run on a worker thread that then ends (as the pipelined executor's workers do after a run), then
     * on other threads that never built a primitive: with oneDNN's default scratchpad, found through the running
     * thread, such a thread has none and the JVM crashes (as CI's TrainCommandTest did, in a pipelined run; this
     * test crashes too with that default). The third
     * worker is limited to one OpenMP thread, for which the layer builds its primitives again (oneDNN sizes their
     * per-thread work when it builds them). Every result equals libnd4j's.
     */
    @Test
    void primitivesRunOnThreadsThatDidNotBuildThem() throws Exception {
        ComputationGraph direct = layer(3, 1, 1, 1, false, ConvolutionMode.Same, 16, 28, true);
        ComputationGraph viaLibnd4j = layer(3, 1, 1, 1, false, ConvolutionMode.Same, 16, 28, false);
        viaLibnd4j.setParams(direct.params().dup());
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 32, 16, 28, 28).subi(0.5);
        INDArray expected = run(viaLibnd4j.getLayer("c"), x, null).getSecond().getSecond();
        INDArray[] results = new INDArray[3];
        for (int t = 0; t < 3; t++) {
            int which = t;
            Thread worker = new Thread(() -> {
                if (which == 2) {
                    NativeThreads.limitCurrentThread(1);
                }
                results[which] = run(direct.getLayer("c"), x, null).getSecond().getSecond();
            });
            worker.start();
            worker.join();
        }
        for (int t = 0; t < 3; t++) {
            assertClose("input gradient on worker " + t, expected, results[t]);
        }
    }
}

package dev.infopro.dl4j.layers;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BilinearUpsampling2DTest {

    @BeforeAll
    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    private static INDArray forward(INDArray x, long oh, long ow) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(x.size(2), x.size(3), x.size(1)))
                .addLayer("up", new BilinearUpsampling2D(oh, ow), "in")
                .setOutputs("up").build());
        g.init();
        return g.outputSingle(x);
    }

    /** PyTorch's upsample_bilinear2d (align_corners=True) per pixel, written independently of the matrices. */
    private static double[][] torchBilinear(double[][] x, int oh, int ow) {
        int h = x.length, w = x[0].length;
        double sh = oh > 1 ? (h - 1.0) / (oh - 1.0) : 0, sw = ow > 1 ? (w - 1.0) / (ow - 1.0) : 0;
        double[][] y = new double[oh][ow];
        for (int i = 0; i < oh; i++) {
            double hr = sh * i;
            int h1 = (int) hr, h1p = h1 < h - 1 ? 1 : 0;
            double l1 = hr - h1, l0 = 1 - l1;
            for (int j = 0; j < ow; j++) {
                double wr = sw * j;
                int w1 = (int) wr, w1p = w1 < w - 1 ? 1 : 0;
                double m1 = wr - w1, m0 = 1 - m1;
                y[i][j] = l0 * (m0 * x[h1][w1] + m1 * x[h1][w1 + w1p])
                        + l1 * (m0 * x[h1 + h1p][w1] + m1 * x[h1 + h1p][w1 + w1p]);
            }
        }
        return y;
    }

    @Test
    void twoByTwoToFourByFourMatchesHandValues() {
        INDArray x = Nd4j.create(new double[]{1, 2, 3, 4}, new long[]{1, 1, 2, 2});
        double t = 1.0 / 3, tt = 2.0 / 3;
        double[][] expected = {
                {1, 1 + t, 1 + tt, 2},
                {1 + tt, 2, 2 + t, 2 + tt},
                {2 + t, 2 + tt, 3, 3 + t},
                {3, 3 + t, 3 + tt, 4}};
        INDArray y = forward(x, 4, 4);
        assertArrayEquals(new long[]{1, 1, 4, 4}, y.shape());
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(expected[i][j], y.getDouble(0, 0, i, j), 1e-12, "(" + i + "," + j + ")");
            }
        }
    }

    @Test
    void threeByFiveToSevenByElevenReproducesBilinearFunctionAndTorchLoop() {
        // Bilinear interpolation reproduces f(y,x) = a + b y + c x + d x y exactly at the aligned coordinates.
        INDArray x = Nd4j.create(DataType.DOUBLE, 2, 3, 3, 5);
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 5; j++) {
                        x.putScalar(new long[]{n, c, i, j}, f(n, c, i, j));
                    }
                }
            }
        }
        INDArray y = forward(x, 7, 11);
        assertArrayEquals(new long[]{2, 3, 7, 11}, y.shape());
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 7; i++) {
                    for (int j = 0; j < 11; j++) {
                        assertEquals(f(n, c, i * 2.0 / 6.0, j * 4.0 / 10.0), y.getDouble(n, c, i, j), 1e-12);
                    }
                }
            }
        }
        // Non-bilinear random input against an independent per-pixel loop.
        Nd4j.getRandom().setSeed(7);
        INDArray r = Nd4j.rand(DataType.DOUBLE, 2, 3, 3, 5);
        INDArray yr = forward(r, 7, 11);
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                double[][] ref = torchBilinear(r.get(org.nd4j.linalg.indexing.NDArrayIndex.point(n),
                        org.nd4j.linalg.indexing.NDArrayIndex.point(c)).toDoubleMatrix(), 7, 11);
                for (int i = 0; i < 7; i++) {
                    for (int j = 0; j < 11; j++) {
                        assertEquals(ref[i][j], yr.getDouble(n, c, i, j), 1e-12);
                    }
                }
            }
        }
    }

    private static double f(int n, int c, double i, double j) {
        return 0.5 + n - 0.3 * c + 1.7 * i - 0.9 * j + 0.25 * i * j * (c + 1);
    }

    @Test
    void outputSizeOneTakesTheFirstRowAndColumn() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 2, 3, 4);
        INDArray y = forward(x, 1, 1);
        assertArrayEquals(new long[]{1, 2, 1, 1}, y.shape());
        assertEquals(x.getDouble(0, 0, 0, 0), y.getDouble(0, 0, 0, 0), 1e-15);
        assertEquals(x.getDouble(0, 1, 0, 0), y.getDouble(0, 1, 0, 0), 1e-15);
        INDArray y2 = forward(x, 1, 7);
        double[][] ref = torchBilinear(x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.point(1)).toDoubleMatrix(), 1, 7);
        for (int j = 0; j < 7; j++) {
            assertEquals(ref[0][j], y2.getDouble(0, 1, 0, j), 1e-12);
        }
        // 1x1 input broadcasts.
        INDArray one = Nd4j.create(new double[]{2.5}, new long[]{1, 1, 1, 1});
        assertEquals(2.5 * 12, forward(one, 3, 4).sumNumber().doubleValue(), 1e-12);
    }

    /** The layer of a one-layer graph resizing {@code x}'s shape to {@code oh x ow}, with {@code x} as its input. */
    private static org.deeplearning4j.nn.api.Layer upLayer(INDArray x, long oh, long ow) {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(x.size(2), x.size(3), x.size(1)))
                .addLayer("up", new BilinearUpsampling2D(oh, ow), "in").setOutputs("up").build());
        net.init();
        org.deeplearning4j.nn.api.Layer layer = net.getLayer("up");
        layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
        return layer;
    }

    /** Same size in and out (a cut at the image's resolution): the identity, forward and backward, bit for bit. */
    @Test
    void sameSizeIsTheIdentityBothWays() {
        Nd4j.getRandom().setSeed(12);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 5);
        INDArray g = Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 5);
        org.deeplearning4j.nn.api.Layer layer = upLayer(x, 4, 5);
        INDArray y = layer.activate(true, LayerWorkspaceMgr.noWorkspaces());
        INDArray dx = layer.backpropGradient(g, LayerWorkspaceMgr.noWorkspaces()).getSecond();
        assertEquals(x, y);
        assertEquals(g, dx);
        assertNotSame(x, y, "a new array: the caller's input is not handed on");
        // and the interpolation weights are indeed the identity at equal sizes
        assertEquals(Nd4j.eye(4), Nd4j.create(BilinearInterpolation.weights(4, 4)));
    }

    @Test
    void backwardIsTheExactAdjoint() {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 3, 5);
        INDArray g = Nd4j.rand(DataType.DOUBLE, 2, 3, 7, 11);
        org.deeplearning4j.nn.api.Layer layer = upLayer(x, 7, 11);
        INDArray y = layer.activate(true, LayerWorkspaceMgr.noWorkspaces());
        INDArray dx = layer.backpropGradient(g, LayerWorkspaceMgr.noWorkspaces()).getSecond();
        assertArrayEquals(x.shape(), dx.shape());
        // <A x, g> = <x, A^T g>
        assertEquals(y.mul(g).sumNumber().doubleValue(), x.mul(dx).sumNumber().doubleValue(), 1e-10);
        // Finite differences on a few input elements.
        for (long[] idx : new long[][]{{0, 0, 0, 0}, {1, 2, 2, 4}, {0, 1, 1, 3}}) {
            double h = 1e-6, orig = x.getDouble(idx);
            x.putScalar(idx, orig + h);
            layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
            double plus = layer.activate(true, LayerWorkspaceMgr.noWorkspaces()).mul(g).sumNumber().doubleValue();
            x.putScalar(idx, orig - h);
            layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
            double minus = layer.activate(true, LayerWorkspaceMgr.noWorkspaces()).mul(g).sumNumber().doubleValue();
            x.putScalar(idx, orig);
            assertEquals((plus - minus) / (2 * h), dx.getDouble(idx), 1e-7);
        }
    }

    private static ComputationGraphConfiguration convUpConf(WorkspaceMode mode, boolean noOp) {
        return new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(42)
                .updater(noOp ? new NoOp() : new Sgd(0.1))
                .trainingWorkspaceMode(mode).inferenceWorkspaceMode(mode)
                .weightInit(WeightInit.XAVIER)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(3, 4, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(1, 1).nOut(3).activation(Activation.TANH)
                        .convolutionMode(ConvolutionMode.Truncate).build(), "in")
                .addLayer("up", new BilinearUpsampling2D.Builder().outputSize(5, 7).build(), "conv")
                .addLayer("out", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "up")
                .setOutputs("out").build();
    }

    @Test
    void gradientCheckThroughTheLayer() {
        ComputationGraph net = new ComputationGraph(convUpConf(WorkspaceMode.NONE, true));
        net.init();
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 3, 4);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 2, 3, 5, 7);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{y})
                .epsilon(1e-6).maxRelError(1e-6).minAbsoluteError(1e-9)));
    }

    @Test
    void fitWithWorkspacesEnabledMatchesWorkspacesDisabled() {
        Nd4j.getRandom().setSeed(9);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, 3, 4);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 4, 3, 5, 7);
        ComputationGraph a = new ComputationGraph(convUpConf(WorkspaceMode.ENABLED, false));
        a.init();
        ComputationGraph b = new ComputationGraph(convUpConf(WorkspaceMode.NONE, false));
        b.init();
        b.setParams(a.params().dup());
        double first = 0;
        for (int i = 0; i < 5; i++) {
            a.fit(new INDArray[]{x}, new INDArray[]{y});
            b.fit(new INDArray[]{x}, new INDArray[]{y});
            if (i == 0) {
                first = a.score();
            }
        }
        assertEquals(b.score(), a.score(), 1e-12);
        assertTrue(a.score() < first, "score should decrease: " + first + " -> " + a.score());
        assertEquals(0.0, a.params().sub(b.params()).amaxNumber().doubleValue(), 1e-12);
        assertEquals(a.outputSingle(x), b.outputSingle(x));
    }

    @Test
    void jsonRoundTripAndClearErrors() {
        ComputationGraphConfiguration conf = convUpConf(WorkspaceMode.ENABLED, false);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BilinearUpsampling2D(0, 4));
        assertTrue(e.getMessage().contains("output size"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> new BilinearUpsampling2D(4, 4).getOutputType(0, InputType.feedForward(10)));
        assertTrue(e2.getMessage().contains("convolutional"), e2.getMessage());
        assertEquals(InputType.convolutional(5, 7, 3), new BilinearUpsampling2D(5, 7)
                .getOutputType(0, InputType.convolutional(2, 2, 3)));
        assertTrue(new BilinearUpsampling2D(5, 7).getMemoryReport(InputType.convolutional(2, 2, 3))
                .getTotalMemoryBytes(4, org.deeplearning4j.nn.conf.memory.MemoryUseMode.TRAINING,
                        org.deeplearning4j.nn.conf.CacheMode.NONE, DataType.DOUBLE) > 0);
    }
}

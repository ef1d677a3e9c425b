package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FusedBatchNormHelper} against DL4J's own batch-norm code, which stays the reference: the same training
 * outputs, gradients (of gamma and beta, and through the input into the convolution before it), running statistics
 * and inference outputs, in double to 1e-12 and in float to float rounding; the statistics against a closed form
 * where the single-sweep formula would lose every digit.
 */
class FusedBatchNormHelperTest {

    @AfterEach
    void restoreSwitches() {
        System.setProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY, "false");
    }

    /** A convolution into a 2-d batch norm, and a dense layer into a 1-d one (DL4J hands it to helpers as 4-d). */
    private static ComputationGraphConfiguration net(DataType type, CNN2DFormat format) {
        return new NeuralNetConfiguration.Builder()
                .seed(3).dataType(type).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(6, 5, 3, format))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).dataFormat(format)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().dataFormat(format).build(), "conv")
                .addLayer("gap", new GlobalPoolingLayer(PoolingType.AVG), "bn")
                .addLayer("dense", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "gap")
                .addLayer("bnDense", new BatchNormalization.Builder().build(), "dense")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "bnDense")
                .setOutputs("out").build();
    }

    private static DataSet batch(DataType type, CNN2DFormat format, int seed) {
        Nd4j.getRandom().setSeed(seed);
        long[] shape = format == CNN2DFormat.NCHW ? new long[]{7, 3, 6, 5} : new long[]{7, 6, 5, 3};
        // an offset and a scale far from 0 and 1, so that the statistics matter
        INDArray x = Nd4j.rand(type, shape).muli(3).addi(2);
        INDArray y = Nd4j.zeros(type, 7, 3);
        for (int i = 0; i < 7; i++) {
            y.putScalar(i, (i + seed) % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    /** The same network twice from one seed: with this helper, and with DL4J's own code (no helper at all). */
    private static ComputationGraph[] pair(DataType type, CNN2DFormat format) {
        ComputationGraph fused = new ComputationGraph(net(type, format));
        fused.init();
        OneDnnHelpers.patch(fused);
        System.setProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY, "true");
        ComputationGraph dl4j = new ComputationGraph(net(type, format));
        dl4j.init();
        System.setProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY, "false");
        dl4j.setParams(fused.params().dup());
        assertNull(OneDnnHelpers.helpersOf(dl4j).get("bn"));
        return new ComputationGraph[]{fused, dl4j};
    }

    private static double maxRelDiff(INDArray a, INDArray b) {
        double scale = Math.max(1e-3, b.amaxNumber().doubleValue());
        return a.sub(b).amaxNumber().doubleValue() / scale;
    }

    private static void assertSameTraining(DataType type, CNN2DFormat format, double tolerance) {
        ComputationGraph[] nets = pair(type, format);
        ComputationGraph fused = nets[0];
        ComputationGraph dl4j = nets[1];
        for (int step = 0; step < 3; step++) {
            DataSet ds = batch(type, format, step);
            Map<String, INDArray> a = fused.feedForward(new INDArray[]{ds.getFeatures()}, true, false);
            Map<String, INDArray> b = dl4j.feedForward(new INDArray[]{ds.getFeatures()}, true, false);
            for (String layer : new String[]{"bn", "bnDense", "out"}) {
                assertTrue(maxRelDiff(a.get(layer), b.get(layer)) < tolerance, "training output of " + layer);
            }
            for (ComputationGraph g : nets) {
                g.setInputs(ds.getFeatures());
                g.setLabels(ds.getLabels());
                g.computeGradientAndScore();
            }
            // conv_b is left out: a bias before batch norm has no effect, so its gradient is 0 up to rounding
            for (String p : new String[]{"conv_W", "bn_gamma", "bn_beta", "dense_W", "bnDense_gamma",
                    "bnDense_beta"}) {
                INDArray ga = fused.gradient().getGradientFor(p);
                INDArray gb = dl4j.gradient().getGradientFor(p);
                assertTrue(maxRelDiff(ga, gb) < tolerance,
                        "gradient of " + p + " at step " + step + ": " + ga + " vs " + gb);
            }
            fused.fit(ds);
            dl4j.fit(ds);
        }
        // the running statistics (DL4J updates them from the helper's batch mean and variance) and every parameter
        assertTrue(maxRelDiff(fused.params(), dl4j.params()) < tolerance, "parameters after 3 steps");
        INDArray test = batch(type, format, 9).getFeatures();
        assertTrue(maxRelDiff(fused.outputSingle(test), dl4j.outputSingle(test)) < tolerance, "inference output");
    }

    @Test
    void doubleTrainsAsDl4jDoes() {
        assertSameTraining(DataType.DOUBLE, CNN2DFormat.NCHW, 1e-12);
    }

    /**
     * In float, layer by layer against DL4J's own batch-norm code in double on the same input, incoming gradient and
     * parameters: the output and every gradient within 1e-5 of its largest entry. Layer by layer, because the float
     * rounding of the layers around it (libnd4j's reductions) varies from run to run and is not this helper's.
     */
    @Test
    void floatIsWithinFloatRoundingOfTheDoubleResult() {
        ComputationGraph fused = pair(DataType.FLOAT, CNN2DFormat.NCHW)[0];
        ComputationGraph reference = pair(DataType.DOUBLE, CNN2DFormat.NCHW)[1];
        reference.setParams(fused.params().castTo(DataType.DOUBLE));
        fused.initGradientsView();
        reference.initGradientsView();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        // the convolution's output (6x5 input, 3x3 kernel) and the dense layer's, batch 7
        Map<String, long[]> inputs = Map.of("bn", new long[]{7, 4, 4, 3}, "bnDense", new long[]{7, 5});
        for (Map.Entry<String, long[]> layer : inputs.entrySet()) {
            for (int seed = 0; seed < 3; seed++) {
                Nd4j.getRandom().setSeed(20 + seed);
                INDArray x = Nd4j.rand(DataType.DOUBLE, layer.getValue()).muli(3).addi(2);
                INDArray eps = Nd4j.randn(DataType.DOUBLE, layer.getValue());
                Layer f = fused.getLayer(layer.getKey());
                Layer r = reference.getLayer(layer.getKey());
                f.setInput(x.castTo(DataType.FLOAT), mgr);
                r.setInput(x, mgr);
                String what = layer.getKey() + ", seed " + seed + ": ";
                double out = maxRelDiff(f.activate(true, mgr).castTo(DataType.DOUBLE), r.activate(true, mgr));
                assertTrue(out < 1e-5, what + "output, relative error " + out);
                Pair<Gradient, INDArray> gf = f.backpropGradient(eps.castTo(DataType.FLOAT), mgr);
                Pair<Gradient, INDArray> gr = r.backpropGradient(eps, mgr);
                double dx = maxRelDiff(gf.getSecond().castTo(DataType.DOUBLE), gr.getSecond());
                assertTrue(dx < 1e-5, what + "input gradient, relative error " + dx);
                for (String p : new String[]{"gamma", "beta"}) {
                    double e = maxRelDiff(gf.getFirst().getGradientFor(p).castTo(DataType.DOUBLE),
                            gr.getFirst().getGradientFor(p));
                    assertTrue(e < 1e-5, what + p + " gradient, relative error " + e);
                }
            }
        }
    }

    @Test
    void channelsLastGoesToTheReplacedHelperOrDl4j() {
        ComputationGraph[] nets = pair(DataType.DOUBLE, CNN2DFormat.NHWC);
        BatchNormalizationHelper helper = (BatchNormalizationHelper) OneDnnHelpers.helperOf(nets[0].getLayer("bn"));
        assertInstanceOf(FusedBatchNormHelper.class, helper);
        assertSameTraining(DataType.DOUBLE, CNN2DFormat.NHWC, 1e-12);
    }

    @Test
    void patchingTwiceKeepsOneHelperAndTheOneItReplaced() {
        ComputationGraph g = new ComputationGraph(net(DataType.FLOAT, CNN2DFormat.NCHW));
        g.init();
        OneDnnHelpers.patch(g);
        OneDnnHelpers.patch(g);
        FusedBatchNormHelper helper = (FusedBatchNormHelper) OneDnnHelpers.helperOf(g.getLayer("bn"));
        assertEquals("MKLDNNBatchNormHelper", helper.fallback().getClass().getSimpleName());
    }

    /** Values 10^4 +- 1: mean 10^4 and variance 1 exactly, which E[x^2] - mean^2 in float would get wrong by 100%. */
    @Test
    void statisticsKeepTheirDigitsFarFromZero() {
        int n = 4;
        int c = 2;
        int hw = 6;
        INDArray x = Nd4j.create(DataType.FLOAT, n, c, 2, 3);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < hw; k++) {
                    x.putScalar(new long[]{i, ch, k / 3, k % 3}, 1e4 + ((i + k) % 2 == 0 ? 1 : -1) * (ch + 1));
                }
            }
        }
        INDArray y = x.ulike();
        BatchNormKernels.Statistics s = BatchNormKernels.forwardTraining(x, y, new double[]{1, 2}, new double[]{0, 5},
                0.0);
        for (int ch = 0; ch < c; ch++) {
            assertEquals(1e4, s.mean[ch], 0.0);
            assertEquals((ch + 1) * (ch + 1), s.variance[ch], 0.0);
        }
        // gamma * (+-1) + beta, exactly
        assertEquals(1.0, y.getDouble(0, 0, 0, 0), 0.0);
        assertEquals(-1.0, y.getDouble(0, 0, 0, 1), 0.0);
        assertEquals(7.0, y.getDouble(0, 1, 0, 0), 0.0);
        assertEquals(3.0, y.getDouble(0, 1, 0, 1), 0.0);
    }

    /**
     * Double values 10^9 + d with |d| <= 3: the squares pass 2^53, so sum(x^2) / n - mean^2 would lose the variance
     * entirely (an error of about 100), while the sums shifted by the first row's mean (which is not the batch mean
     * here) keep it to rounding.
     */
    @Test
    void statisticsKeepTheirDigitsFarFromZeroInDouble() {
        int n = 4;
        int c = 2;
        int hw = 6;
        INDArray x = Nd4j.create(DataType.DOUBLE, n, c, 2, 3);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < hw; k++) {
                    // -1.5, -0.5, 0.5, 1.5 repeating over the channel: mean 0, variance 1.25; first row's mean -1/3
                    double d = ((i * hw + k) % 4) - 1.5;
                    x.putScalar(new long[]{i, ch, k / 3, k % 3}, 1e9 + d * (ch + 1));
                }
            }
        }
        BatchNormKernels.Statistics s = BatchNormKernels.forwardTraining(x, x.ulike(), new double[]{1, 1},
                new double[]{0, 0}, 0.0);
        for (int ch = 0; ch < c; ch++) {
            assertEquals(1e9, s.mean[ch], 1e-6, "channel " + ch);
            assertEquals(1.25 * (ch + 1) * (ch + 1), s.variance[ch], 1e-9, "channel " + ch);
        }
    }
}

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
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FusedBatchNormHelper} against DL4J's own batch-norm code, which stays the reference: the same training
 * outputs, gradients (of gamma and beta, and through the input into the convolution before it), running statistics
 * and inference outputs, in float to float rounding (double goes to DL4J's code itself); the kernels against the
 * formulas in double on long rows, and the statistics against a closed form where the single-sweep formula would lose
 * every digit.
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
        return new DataSet(x, TestLabels.threeClasses(type, 7, seed));
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

    /** Double goes to DL4J's own code (the kernels are float only), whose results it must then be. */
    @Test
    void doubleTrainsWithDl4jsOwnCode() {
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
     * A channel of more elements than the kernels sum in float at a time (33 x 35 per row, 16 rows; an odd row length
     * for the unrolled loops' tails), values far from zero, against the same formulas computed by ND4J in double:
     * the statistics, the output, the input gradient and the gamma and beta gradients.
     */
    @Test
    void kernelsAgreeWithDoubleFormulasOnLongRows() {
        Nd4j.getRandom().setSeed(5);
        INDArray xd = Nd4j.rand(DataType.DOUBLE, 16, 3, 33, 35).muli(4).addi(50);
        INDArray dyd = Nd4j.randn(DataType.DOUBLE, 16, 3, 33, 35);
        double[] gamma = {1.5, -0.5, 2};
        double[] beta = {0.25, 0, -1};
        double eps = 1e-5;
        INDArray x = xd.castTo(DataType.FLOAT);
        INDArray dy = dyd.castTo(DataType.FLOAT);
        INDArray y = x.ulike();
        INDArray dx = x.ulike();
        BatchNormKernels.Statistics s = BatchNormKernels.forwardTraining(x, y, gamma, beta, eps);
        double[] dGamma = new double[3];
        double[] dBeta = new double[3];
        BatchNormKernels.backward(x, dy, dx, gamma, s, dGamma, dBeta);
        for (int ch = 0; ch < 3; ch++) {
            // the closed forms, on the float input widened to double
            INDArray xc = x.get(NDArrayIndex.all(), NDArrayIndex.point(ch)).castTo(DataType.DOUBLE);
            INDArray dyc = dy.get(NDArrayIndex.all(), NDArrayIndex.point(ch)).castTo(DataType.DOUBLE);
            double count = xc.length();
            double mean = xc.sumNumber().doubleValue() / count;
            INDArray xmu = xc.sub(mean);
            double var = xmu.mul(xmu).sumNumber().doubleValue() / count;
            double inv = 1 / Math.sqrt(var + eps);
            INDArray yc = xmu.mul(gamma[ch] * inv).addi(beta[ch]);
            double sumDy = dyc.sumNumber().doubleValue();
            double sumDyXmu = dyc.mul(xmu).sumNumber().doubleValue();
            INDArray dxc = dyc.sub(sumDy / count).subi(xmu.mul(sumDyXmu / count * inv * inv)).muli(gamma[ch] * inv);
            String what = "channel " + ch + ": ";
            assertEquals(mean, s.mean[ch], 1e-6 * Math.abs(mean), what + "mean");
            assertEquals(var, s.variance[ch], 1e-5 * var, what + "variance");
            assertTrue(maxRelDiff(y.get(NDArrayIndex.all(), NDArrayIndex.point(ch)).castTo(DataType.DOUBLE), yc)
                    < 1e-5, what + "output");
            assertTrue(maxRelDiff(dx.get(NDArrayIndex.all(), NDArrayIndex.point(ch)).castTo(DataType.DOUBLE), dxc)
                    < 1e-5, what + "input gradient");
            assertEquals(sumDy, dBeta[ch], 1e-5 * dyc.amaxNumber().doubleValue() * Math.sqrt(count), what + "beta");
            assertEquals(sumDyXmu * inv, dGamma[ch], 1e-5 * Math.abs(sumDyXmu * inv), what + "gamma");
        }
    }

    @Test
    void kernelsRefuseWhatTheyDoNotRead() {
        INDArray d = Nd4j.zeros(DataType.DOUBLE, 2, 3, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchNormKernels.forwardTraining(d, d.ulike(), new double[3], new double[3], 1e-5));
        assertTrue(e.getMessage().startsWith("need a float array, dense in C order, with no offset"), e.getMessage());
    }
}

package dev.infopro.dl4j.losses;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.util.FeatureUtil;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossSupConTest {

    @BeforeAll
    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    /** Plain loops over the definition (docs/method.md §2.5), no row-max shift: per-anchor l_i. */
    static double[] supConLoop(double[][] a, int[] cls, double tau) {
        int n = a.length, d = a[0].length;
        double[][] z = new double[n][d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (double v : a[i]) {
                norm += v * v;
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int k = 0; k < d; k++) {
                z[i][k] = a[i][k] / norm;
            }
        }
        double[] l = new double[n];
        for (int i = 0; i < n; i++) {
            double[] s = new double[n];
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < d; k++) {
                    s[j] += z[i][k] * z[j][k];
                }
                s[j] /= tau;
            }
            double denom = 0;
            for (int k = 0; k < n; k++) {
                if (k != i) {
                    denom += Math.exp(s[k]);
                }
            }
            double sum = 0;
            int pos = 0;
            for (int j = 0; j < n; j++) {
                if (j != i && cls[j] == cls[i]) {
                    sum += s[j] - Math.log(denom);
                    pos++;
                }
            }
            l[i] = pos == 0 ? 0.0 : -sum / pos;
        }
        return l;
    }

    @Test
    void scoreEqualsTheDefinitionIncludingASingletonClass() {
        Nd4j.getRandom().setSeed(1);
        int[] cls = {0, 1, 0, 2, 1, 0, 3}; // classes 2 and 3 have a single sample
        INDArray pre = Nd4j.randn(DataType.DOUBLE, 7, 5);
        INDArray y = FeatureUtil.toOutcomeMatrix(cls, 4);
        for (double tau : new double[]{0.07, 0.5}) {
            LossSupCon loss = new LossSupCon(tau, 2.5);
            double[] ref = supConLoop(pre.toDoubleMatrix(), cls, tau);
            INDArray arr = loss.computeScoreArray(y, pre, new ActivationIdentity(), null);
            double total = 0;
            for (int i = 0; i < 7; i++) {
                assertEquals(2.5 * ref[i], arr.getDouble(i, 0), 1e-9, "anchor " + i);
                total += ref[i];
            }
            assertEquals(0.0, arr.getDouble(3, 0), 0.0);
            assertEquals(0.0, arr.getDouble(6, 0), 0.0);
            assertEquals(2.5 * total / 7, loss.computeScore(y, pre, new ActivationIdentity(), null, true), 1e-9);
            assertEquals(2.5 * total, loss.computeScore(y, pre, new ActivationIdentity(), null, false), 1e-9);
        }
    }

    @Test
    void aBatchOfOneAndASmallTemperatureGiveTheClosedFormNotNaN() {
        LossSupCon loss = new LossSupCon(0.07, 1.0);
        INDArray one = Nd4j.create(new double[][]{{0.3, -1.2, 0.5}});
        INDArray y1 = FeatureUtil.toOutcomeMatrix(new int[]{2}, 3);
        // one example has nothing to contrast with: l = 0 and no gradient (a DataSetIterator's last batch can be 1)
        assertEquals(0.0, loss.computeScore(y1, one, new ActivationIdentity(), null, true), 0.0);
        assertEquals(0.0, loss.computeGradient(y1, one, new ActivationIdentity(), null).amaxNumber().doubleValue(), 0.0);
        // tau = 0.001: two opposite samples of one class and a third of another, orthogonal to both, so s_11 = 1000,
        // s_12 = -1000, s_13 = 0. Shifted by the whole row's maximum s_11, every exp over k != 1 underflows to 0.
        LossSupCon cold = new LossSupCon(0.001, 1.0);
        INDArray pre = Nd4j.create(new double[][]{{1, 0}, {-1, 0}, {0, 1}});
        INDArray y = FeatureUtil.toOutcomeMatrix(new int[]{0, 0, 1}, 2);
        INDArray scores = cold.computeScoreArray(y, pre, new ActivationIdentity(), null);
        // l_1 = -(s_12 - log(e^{s_12} + e^{s_13})) = 1000 + log(1 + e^-1000) = 1000; l_2 likewise; l_3 has no positive
        assertEquals(1000.0, scores.getDouble(0, 0), 1e-9);
        assertEquals(1000.0, scores.getDouble(1, 0), 1e-9);
        assertEquals(0.0, scores.getDouble(2, 0), 0.0);
        assertTrue(Double.isFinite(cold.computeGradient(y, pre, new ActivationIdentity(), null).sumNumber().doubleValue()));
    }

    @Test
    void gradientEqualsFiniteDifferences() {
        Nd4j.getRandom().setSeed(2);
        int[] cls = {0, 1, 0, 2, 1, 1};
        INDArray pre = Nd4j.randn(DataType.DOUBLE, 6, 4);
        pre.getRow(5).assign(0.0); // a zero vector exercises the eps branch of the normalisation
        pre.putScalar(5, 1, 1e-14);
        INDArray y = FeatureUtil.toOutcomeMatrix(cls, 3);
        for (org.nd4j.linalg.activations.IActivation act : new org.nd4j.linalg.activations.IActivation[]{
                new ActivationIdentity(), new ActivationTanH()}) {
            LossSupCon loss = new LossSupCon(0.2, 1.5);
            INDArray grad = loss.computeGradient(y, pre, act, null);
            // The near-zero row (eps branch) is checked with the identity only: tanh's rounding near 0 swamps a 1e-16 step.
            int rows = act instanceof ActivationIdentity ? 6 : 5;
            for (int i = 0; i < rows; i++) {
                for (int k = 0; k < 4; k++) {
                    double orig = pre.getDouble(i, k);
                    double h = i == 5 ? 1e-16 : 1e-6;
                    pre.putScalar(i, k, orig + h);
                    double plus = loss.computeScore(y, pre, act, null, false);
                    pre.putScalar(i, k, orig - h);
                    double minus = loss.computeScore(y, pre, act, null, false);
                    pre.putScalar(i, k, orig);
                    double fd = (plus - minus) / (2 * h);
                    double g = grad.getDouble(i, k);
                    double tol = i == 5 ? 1e-3 * Math.max(1, Math.abs(fd)) : 1e-7 * Math.max(1, Math.abs(fd));
                    assertEquals(fd, g, tol, act + " (" + i + "," + k + ")");
                }
            }
        }
    }

    @Test
    void badTemperatureAndLabelsGiveClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LossSupCon(0.0, 1));
        assertTrue(e.getMessage().contains("temperature must be finite and > 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LossSupCon(-0.1, 1));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        LossSupCon loss = new LossSupCon();
        INDArray pre = Nd4j.randn(DataType.DOUBLE, 4, 3);
        INDArray notOneHot = Nd4j.create(new double[][]{{1, 0}, {0.5, 0.5}, {0, 1}, {1, 0}});
        e = assertThrows(IllegalArgumentException.class,
                () -> loss.computeScoreArray(notOneHot, pre, new ActivationIdentity(), null));
        assertTrue(e.getMessage().contains("labels must be one-hot"), e.getMessage());
        INDArray twoOnes = Nd4j.create(new double[][]{{1, 1}, {0, 1}, {0, 1}, {1, 0}});
        e = assertThrows(IllegalArgumentException.class,
                () -> loss.computeGradient(twoOnes, pre, new ActivationIdentity(), null));
        assertTrue(e.getMessage().contains("one-hot"), e.getMessage());
        INDArray wrongRows = FeatureUtil.toOutcomeMatrix(new int[]{0, 1, 0}, 2);
        e = assertThrows(IllegalArgumentException.class,
                () -> loss.computeScoreArray(wrongRows, pre, new ActivationIdentity(), null));
        assertTrue(e.getMessage().contains("labels have 3 rows but the batch has 4"), e.getMessage());
    }

    @Test
    void bceEqualsClosedFormWithClampAndTorchGradient() {
        INDArray z = Nd4j.create(new double[][]{{0.3, -1.2, 2.0}, {-150.0, 40.0, 0.0}});
        INDArray y = Nd4j.create(new double[][]{{0.2, 1.0, 0.0}, {1.0, 0.0, 0.5}});
        LossBinaryCrossEntropy bce = new LossBinaryCrossEntropy(3.0, 2);
        INDArray arr = bce.computeScoreArray(y, z, Activation.SIGMOID.getActivationFunction(), null);
        double[][] zz = z.toDoubleMatrix(), yy = y.toDoubleMatrix();
        for (int r = 0; r < 2; r++) {
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                double p = 1 / (1 + Math.exp(-zz[r][c]));
                sum += -(yy[r][c] * Math.max(Math.log(p), -100) + (1 - yy[r][c]) * Math.max(Math.log(1 - p), -100));
            }
            assertEquals(3.0 * sum / (3 * 2), arr.getDouble(r, 0), 1e-12);
        }
        // sigmoid(-150) has log < -100: the clamp gives exactly 100 for y=1; 1-sigmoid(40) rounds to ~4e-18.
        double clamped = -(Math.max(Math.log(1 / (1 + Math.exp(150))), -100));
        assertEquals(100.0, clamped, 0.0);
        INDArray g = bce.computeGradient(y, z, Activation.SIGMOID.getActivationFunction(), null);
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) {
                double p = 1 / (1 + Math.exp(-zz[r][c]));
                double torch = (p - yy[r][c]) / Math.max(p * (1 - p), 1e-12) * p * (1 - p) * 3.0 / 6;
                assertEquals(torch, g.getDouble(r, c), 1e-12, "(" + r + "," + c + ")");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new LossBinaryCrossEntropy(1, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bce.computeScoreArray(y, Nd4j.zeros(2, 2), Activation.SIGMOID.getActivationFunction(), null));
        assertTrue(e.getMessage().contains("must equal the output shape"), e.getMessage());
    }

    @Test
    void scaledLossScalesScoreAndGradient() {
        INDArray pre = Nd4j.randn(DataType.DOUBLE, 3, 4);
        INDArray y = FeatureUtil.toOutcomeMatrix(new int[]{0, 3, 1}, 4);
        LossMCXENT inner = new LossMCXENT(0.0, null);
        ScaledLoss s = new ScaledLoss(inner, 0.75);
        org.nd4j.linalg.activations.IActivation sm = Activation.SOFTMAX.getActivationFunction();
        assertEquals(0.75 * inner.computeScore(y, pre, sm, null, true), s.computeScore(y, pre, sm, null, true), 1e-14);
        assertEquals(inner.computeGradient(y, pre, sm, null).mul(0.75), s.computeGradient(y, pre, sm, null));
        // Closed form of CE: -log softmax at the label.
        double[] row = pre.getRow(1).toDoubleVector();
        double lse = Math.log(java.util.Arrays.stream(row).map(Math::exp).sum());
        assertEquals(0.75 * (lse - row[3]), s.computeScoreArray(y, pre, sm, null).getDouble(1, 0), 1e-12);
    }

    @Test
    void lossesRoundTripThroughJsonAndModelSerializer() throws Exception {
        for (ILossFunction lf : new ILossFunction[]{new LossSupCon(0.3, 2.0), new LossBinaryCrossEntropy(5.0, 49),
                new ScaledLoss(new LossMCXENT(0.0, null), 0.5), new ScaledLoss(new LossSupCon(0.1, 1.0), 2.0)}) {
            MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                    .layer(new OutputLayer.Builder(lf).nIn(4).nOut(3).activation(Activation.IDENTITY).build())
                    .build();
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
            assertEquals(conf, back);
            assertEquals(lf, ((OutputLayer) back.getConf(0).getLayer()).getLossFn());
            ComputationGraphConfiguration g = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                    .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(4))
                    .addLayer("out", new OutputLayer.Builder(lf).nOut(3).activation(Activation.IDENTITY).build(), "in")
                    .setOutputs("out").build();
            assertEquals(g, ComputationGraphConfiguration.fromJson(g.toJson()));
            MultiLayerNetwork net = new MultiLayerNetwork(conf);
            net.init();
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            ModelSerializer.writeModel(net, bos, true);
            MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bos.toByteArray()), true);
            assertEquals(lf, ((OutputLayer) restored.getLayerWiseConfigurations().getConf(0).getLayer()).getLossFn());
            assertEquals(net.params(), restored.params());
        }
    }
}

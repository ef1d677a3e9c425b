package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generic batch-norm backward pass gives DL4J's oneDNN helper's gradients, and the closed form. */
class GenericBatchNormBackpropTest {

    @Test
    void backwardMatchesTheOneDnnHelperAndTheClosedForm() {
        Nd4j.getRandom().setSeed(7);
        long n = 8;
        long c = 4;
        long h = 5;
        long w = 5;
        INDArray x = Nd4j.randn(DataType.FLOAT, n, c, h, w).muli(2).addi(0.5);
        INDArray eps = Nd4j.randn(DataType.FLOAT, n, c, h, w);
        INDArray gamma = Nd4j.rand(DataType.FLOAT, 1, c).addi(0.5);
        INDArray beta = Nd4j.rand(DataType.FLOAT, 1, c);
        double e = 1e-5;
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();

        MKLDNNBatchNormHelper oneDnn = new MKLDNNBatchNormHelper(DataType.FLOAT);
        GenericBatchNormBackprop generic = new GenericBatchNormBackprop(DataType.FLOAT);
        INDArray[] results = new INDArray[6];
        int i = 0;
        for (MKLDNNBatchNormHelper helper : new MKLDNNBatchNormHelper[]{oneDnn, generic}) {
            INDArray out = helper.preOutput(x, true, new long[]{n, c, h, w}, gamma, beta, null, null, 0.9, e,
                    CNN2DFormat.NCHW, mgr);
            assertTrue(out != null);
            INDArray dGamma = Nd4j.zeros(DataType.FLOAT, 1, c);
            INDArray dBeta = Nd4j.zeros(DataType.FLOAT, 1, c);
            Pair<Gradient, INDArray> r = helper.backpropGradient(x, eps, new long[]{n, c, h, w}, gamma, beta, dGamma,
                    dBeta, e, CNN2DFormat.NCHW, mgr);
            results[i++] = r.getSecond();
            results[i++] = r.getFirst().getGradientFor("gamma");
            results[i++] = r.getFirst().getGradientFor("beta");
        }
        for (int k = 0; k < 3; k++) {
            double diff = results[k].sub(results[k + 3]).amaxNumber().doubleValue();
            assertTrue(diff < 1e-4 * (1 + results[k].amaxNumber().doubleValue()), "output " + k + " differs by " + diff);
        }

        // closed form, channel 2, in double: dbeta = sum eps, dgamma = sum eps * xhat,
        // dx = gamma / std * (eps - mean(eps) - xhat * mean(eps * xhat))
        int ch = 2;
        double[] xs = x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(ch))
                .dup().data().asDouble();
        double[] es = eps.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(ch))
                .dup().data().asDouble();
        int m = xs.length;
        double mean = 0;
        for (double v : xs) {
            mean += v / m;
        }
        double var = 0;
        for (double v : xs) {
            var += (v - mean) * (v - mean) / m;
        }
        double std = Math.sqrt(var + e);
        double sumE = 0;
        double sumEX = 0;
        for (int j = 0; j < m; j++) {
            sumE += es[j];
            sumEX += es[j] * (xs[j] - mean) / std;
        }
        assertEquals(sumE, results[5].getDouble(0, ch), 1e-4 * m);
        assertEquals(sumEX, results[4].getDouble(0, ch), 1e-4 * m);
        double g = gamma.getDouble(0, ch);
        double dx0 = g / std * (es[0] - sumE / m - (xs[0] - mean) / std * sumEX / m);
        assertEquals(dx0, results[3].getDouble(0, ch, 0, 0), 1e-4);
    }

    @Test
    void patchUsesItOnlyWhenAskedAndTrainingMatchesTheOneDnnHelper() {
        Nd4j.create(1);
        org.junit.jupiter.api.Assumptions.assumeTrue(OneDnnHelpers.active(), "needs the oneDNN build with helpers on");
        org.deeplearning4j.nn.graph.ComputationGraph stock =
                new org.deeplearning4j.nn.graph.ComputationGraph(OneDnnHelpersTest.residualCnn());
        stock.init();
        OneDnnHelpers.patch(stock);
        assertEquals("MKLDNNBatchNormHelper", OneDnnHelpers.helpersOf(stock).get("bn0"));

        org.deeplearning4j.nn.graph.ComputationGraph generic =
                new org.deeplearning4j.nn.graph.ComputationGraph(OneDnnHelpersTest.residualCnn());
        generic.init(stock.params().dup(), true);
        System.setProperty(OneDnnHelpers.GENERIC_BN_BACKWARD_PROPERTY, "true");
        try {
            OneDnnHelpers.patch(generic);
        } finally {
            System.clearProperty(OneDnnHelpers.GENERIC_BN_BACKWARD_PROPERTY);
        }
        assertEquals("GenericBatchNormBackprop", OneDnnHelpers.helpersOf(generic).get("bn0"));
        assertEquals("GenericBatchNormBackprop", OneDnnHelpers.helpersOf(generic).get("bn1"));
        for (int step = 0; step < 3; step++) {
            org.nd4j.linalg.dataset.DataSet ds = OneDnnHelpersTest.batch(step);
            stock.fit(ds);
            generic.fit(ds);
            assertEquals(stock.score(), generic.score(), 1e-5 * Math.abs(stock.score()), "loss after step " + step);
        }
        double rel = stock.params().sub(generic.params()).norm2Number().doubleValue()
                / stock.params().norm2Number().doubleValue();
        assertTrue(rel < 1e-5, "parameters after 3 SGD steps differ by " + rel + " (relative L2)");
    }
}

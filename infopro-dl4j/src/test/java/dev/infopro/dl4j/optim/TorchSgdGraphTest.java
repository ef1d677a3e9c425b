package dev.infopro.dl4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * TorchSgd inside DL4J's own training loop: a one-layer linear graph with MSE loss, trained by
 * {@code ComputationGraph.fit}, must follow the PyTorch step computed by hand in double.
 */
class TorchSgdGraphTest {

    private static final int N_IN = 3;
    private static final int N_OUT = 2;
    private static final int BATCH = 4;
    private static final double[] LRS = {0.1, 0.05, 0.2};
    private static final double TOL = 1e-14;

    private static final double[][] X = {{0.5, -1.0, 2.0}, {1.5, 0.25, -0.5}, {-2.0, 0.75, 1.0}, {0.1, 0.2, 0.3}};
    private static final double[][] Y = {{1.0, -1.0}, {0.5, 2.0}, {-1.5, 0.0}, {0.3, 0.7}};

    private static ComputationGraph newGraph() {
        Map<Integer, Double> lr = new HashMap<>();
        for (int i = 0; i < LRS.length; i++) {
            lr.put(i, LRS[i]);
        }
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(12345)
                .dataType(DataType.DOUBLE)
                .updater(TorchSgd.builder().learningRateSchedule(new MapSchedule(ScheduleType.ITERATION, lr)).build())
                .graphBuilder()
                .addInputs("in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(N_IN).nOut(N_OUT)
                        .activation(Activation.IDENTITY).build(), "in")
                .setOutputs("out")
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    private static DataSet data() {
        return new DataSet(Nd4j.createFromArray(X), Nd4j.createFromArray(Y));
    }

    /** Hand-written PyTorch SGD (Nesterov 0.9, buf = g on the first step) on mean-over-batch MSE, 3 steps. */
    private static double[][] handTrajectory(double[][] w0, double[] b0) {
        double m = 0.9;
        double[][] w = new double[N_IN][];
        for (int i = 0; i < N_IN; i++) {
            w[i] = w0[i].clone();
        }
        double[] b = b0.clone();
        double[][] bufW = new double[N_IN][N_OUT];
        double[] bufB = new double[N_OUT];
        double[][] out = new double[LRS.length][];
        for (int step = 0; step < LRS.length; step++) {
            // DL4J's MSE: mean over outputs of (yhat - y)^2, averaged over the batch
            double[][] d = new double[BATCH][N_OUT];
            for (int n = 0; n < BATCH; n++) {
                for (int o = 0; o < N_OUT; o++) {
                    double yhat = b[o];
                    for (int i = 0; i < N_IN; i++) {
                        yhat += X[n][i] * w[i][o];
                    }
                    d[n][o] = 2 * (yhat - Y[n][o]) / N_OUT / BATCH;
                }
            }
            for (int o = 0; o < N_OUT; o++) {
                for (int i = 0; i < N_IN; i++) {
                    double g = 0;
                    for (int n = 0; n < BATCH; n++) {
                        g += X[n][i] * d[n][o];
                    }
                    bufW[i][o] = step == 0 ? g : m * bufW[i][o] + g;
                    w[i][o] -= LRS[step] * (g + m * bufW[i][o]);
                }
                double gb = 0;
                for (int n = 0; n < BATCH; n++) {
                    gb += d[n][o];
                }
                bufB[o] = step == 0 ? gb : m * bufB[o] + gb;
                b[o] -= LRS[step] * (gb + m * bufB[o]);
            }
            double[] flat = new double[N_IN * N_OUT + N_OUT];
            int k = 0;
            for (int i = 0; i < N_IN; i++) {
                for (int o = 0; o < N_OUT; o++) {
                    flat[k++] = w[i][o];
                }
            }
            for (int o = 0; o < N_OUT; o++) {
                flat[k++] = b[o];
            }
            out[step] = flat;
        }
        return out;
    }

    private static double[] flatParams(ComputationGraph g) {
        INDArray w = g.getLayer("out").getParam("W"); // [nIn, nOut]
        INDArray b = g.getLayer("out").getParam("b");
        double[] flat = new double[N_IN * N_OUT + N_OUT];
        int k = 0;
        for (int i = 0; i < N_IN; i++) {
            for (int o = 0; o < N_OUT; o++) {
                flat[k++] = w.getDouble(i, o);
            }
        }
        for (int o = 0; o < N_OUT; o++) {
            flat[k++] = b.getDouble(o);
        }
        return flat;
    }

    private static double[][] initialW(ComputationGraph g) {
        return g.getLayer("out").getParam("W").toDoubleMatrix();
    }

    private static double[] initialB(ComputationGraph g) {
        return g.getLayer("out").getParam("b").toDoubleVector();
    }

    @Test
    void fitFollowsPyTorchStepForThreeSteps() {
        ComputationGraph g = newGraph();
        double[][] expected = handTrajectory(initialW(g), initialB(g));
        DataSet ds = data();
        for (int step = 0; step < LRS.length; step++) {
            g.fit(ds);
            assertArrayEquals(expected[step], flatParams(g), TOL, "after step " + step);
        }
        // The momentum buffer is the whole updater state: non-zero after training.
        assertEquals(N_IN * N_OUT + N_OUT, g.getUpdater().getStateViewArray().length());
    }

    @Test
    void momentumSurvivesSaveAndRestore() throws Exception {
        ComputationGraph g = newGraph();
        double[][] expected = handTrajectory(initialW(g), initialB(g));
        DataSet ds = data();
        g.fit(ds);
        g.fit(ds);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(g, bytes, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(
                new ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(TorchSgd.class, restored.getConfiguration().getVertices().values().stream()
                .filter(v -> v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex)
                .map(v -> ((org.deeplearning4j.nn.conf.layers.BaseLayer)
                        ((org.deeplearning4j.nn.conf.graph.LayerVertex) v).getLayerConf().getLayer()).getIUpdater())
                .findFirst().orElseThrow().getClass());
        restored.fit(ds);
        // Step 3 needs the restored momentum buffer and iteration count (lr of iteration 2).
        assertArrayEquals(expected[2], flatParams(restored), TOL);
    }
}

package dev.infopro.dl4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

class TorchSgdTest {

    private static final double TOL = 1e-15;

    private static INDArray row(double... v) {
        return Nd4j.createFromArray(v).reshape(1, v.length);
    }

    /** The exact PyTorch SGD step (docs/method.md §3) over 3 steps with a changing lr, against a plain double loop. */
    @Test
    void fullStepWithCoupledWeightDecayMatchesHandLoop() {
        double wd = 1e-4;
        double m = 0.9;
        double[] lrs = {0.3, 0.05, 0.7};
        double[] p = {0.5, -1.25, 2.0, 0.0, 3.5};
        double[][] grads = {{0.1, -0.2, 0.3, -0.4, 0.05}, {-0.7, 0.25, 0.0, 1.5, -0.3}, {0.2, 0.2, -0.9, 0.1, 0.6}};

        Map<Integer, Double> sched = new HashMap<>();
        for (int i = 0; i < lrs.length; i++) {
            sched.put(i, lrs[i]);
        }
        TorchSgd cfg = TorchSgd.builder().learningRateSchedule(new MapSchedule(ScheduleType.ITERATION, sched)).build();
        INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, p.length);
        GradientUpdater<?> u = cfg.instantiate(state, true);
        INDArray params = row(p.clone());

        double[] hp = p.clone();
        double[] buf = new double[p.length];
        boolean first = true;
        for (int step = 0; step < 3; step++) {
            // hand loop: PyTorch's rule with its explicit first-step buf = g
            for (int j = 0; j < p.length; j++) {
                double g = grads[step][j] + wd * hp[j];
                buf[j] = first ? g : m * buf[j] + g;
                hp[j] = hp[j] - lrs[step] * (g + m * buf[j]);
            }
            first = false;
            // DL4J path: coupled decay, updater, then params -= update
            INDArray g = row(grads[step].clone());
            CoupledWeightDecay.apply(params, g, wd);
            u.applyUpdater(g, step, 0);
            params.subi(g);
            assertArrayEquals(hp, params.toDoubleVector(), TOL, "params after step " + step);
            assertArrayEquals(buf, state.toDoubleVector(), TOL, "momentum buffer after step " + step);
        }
    }

    @Test
    void firstStepBufferEqualsGradientExactly() {
        double[] g = {0.1, -3.7, 1e-300, -0.0, 123.456};
        INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, g.length);
        GradientUpdater<?> u = new TorchSgd(0.5).instantiate(state, true);
        INDArray grad = row(g.clone());
        u.applyUpdater(grad, 17, 3); // iteration number is irrelevant: the zero buffer marks "no step yet"
        assertArrayEquals(g, state.toDoubleVector(), 0.0);
        double[] expected = new double[g.length];
        for (int j = 0; j < g.length; j++) {
            expected[j] = 0.5 * (g[j] + 0.9 * g[j]);
        }
        assertArrayEquals(expected, grad.toDoubleVector(), 0.0);
    }

    @Test
    void plainMomentumUpdateIsLrTimesBuffer() {
        TorchSgd cfg = TorchSgd.builder().learningRate(0.1).momentum(0.5).nesterov(false).build();
        INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, 2);
        GradientUpdater<?> u = cfg.instantiate(state, true);
        INDArray g1 = row(1.0, -2.0);
        u.applyUpdater(g1, 0, 0);
        assertArrayEquals(new double[] {0.1, -0.2}, g1.toDoubleVector(), TOL);
        INDArray g2 = row(3.0, 4.0);
        u.applyUpdater(g2, 1, 0);
        // buf = 0.5*[1,-2] + [3,4] = [3.5, 3]
        assertArrayEquals(new double[] {0.35, 0.3}, g2.toDoubleVector(), TOL);
        assertArrayEquals(new double[] {3.5, 3.0}, state.toDoubleVector(), TOL);
    }

    @Test
    void stateMapRoundTripAndStateSize() {
        TorchSgd cfg = new TorchSgd(0.2);
        assertEquals(7L, cfg.stateSize(7));
        INDArray buf = Nd4j.createFromArray(1.0, 2.0);
        Map<String, INDArray> st = new HashMap<>();
        st.put(TorchSgd.STATE_MOMENTUM_BUFFER, buf);
        GradientUpdater<?> u = cfg.instantiate(st, false);
        INDArray g = Nd4j.createFromArray(0.0, 0.0);
        u.applyUpdater(g, 0, 0);
        // buf = 0.9*[1,2]; update = 0.2*(0 + 0.9*buf)
        assertArrayEquals(new double[] {0.2 * 0.81, 0.2 * 1.62}, g.toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {0.9, 1.8}, u.getState().get("V").toDoubleVector(), 1e-15);
        assertThrows(IllegalStateException.class, () -> cfg.instantiate(new HashMap<>(), false));
    }

    @Test
    void equalsHashCodeCloneAndValidation() {
        TorchSgd a = TorchSgd.builder().learningRateSchedule(new CosineWarmupSchedule(0.8, 160, 10)).build();
        TorchSgd b = TorchSgd.builder().learningRateSchedule(new CosineWarmupSchedule(0.8, 160, 10)).build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        TorchSgd c = a.clone();
        assertEquals(a, c);
        assertNotSame(a.getLearningRateSchedule(), c.getLearningRateSchedule());
        assertNotEquals(a, TorchSgd.builder().learningRateSchedule(new CosineWarmupSchedule(0.8, 160, 5)).build());
        assertNotEquals(new TorchSgd(0.1), TorchSgd.builder().learningRate(0.1).nesterov(false).build());
        assertNotEquals(new TorchSgd(0.1), TorchSgd.builder().learningRate(0.1).momentum(0.8).build());
        assertEquals(0.1, new TorchSgd(0.1).getLearningRate(5, 5), 0.0);
        assertEquals(0.01, a.getLearningRate(999, 0), 1e-17);

        assertThrows(IllegalArgumentException.class, () -> new TorchSgd(0.1, null, 0.0, true));
        assertThrows(IllegalArgumentException.class, () -> new TorchSgd(0.1, null, 1.0, false));
        assertThrows(IllegalArgumentException.class, () -> new TorchSgd(-0.1, null, 0.9, true));
        assertThrows(IllegalStateException.class, () -> TorchSgd.builder().build());

        TorchSgd d = new TorchSgd(0.3);
        d.setLrAndSchedule(0.05, null);
        assertEquals(0.05, d.getLearningRate(0, 0), 0.0);
        assertNull(d.getLearningRateSchedule());
    }

    private static IUpdater updaterOf(ComputationGraphConfiguration conf, String layer) {
        return ((BaseLayer) ((LayerVertex) conf.getVertices().get(layer)).getLayerConf().getLayer()).getIUpdater();
    }

    @Test
    void jsonRoundTripInsideComputationGraphConfiguration() {
        TorchSgd scheduled = new TorchSgd(new CosineWarmupSchedule(0.8, 160, 10));
        TorchSgd fixed = TorchSgd.builder().learningRate(0.125).momentum(0.5).nesterov(false).build();
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .updater(scheduled)
                .graphBuilder()
                .addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2)
                        .activation(Activation.IDENTITY).updater(fixed).build(), "d")
                .setOutputs("out")
                .build();
        String json = conf.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(scheduled, updaterOf(back, "d"));
        assertEquals(fixed, updaterOf(back, "out"));
        assertEquals(TorchSgd.class, updaterOf(back, "d").getClass());
        assertEquals(conf, back);
        assertEquals(json, back.toJson());
    }
}

package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.planning.WeightTransfer;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each module is trained by its own loss only; no gradient crosses a cut. */
class GradientIsolationTest {

    private static final LocalLearning SOFTMAX = LocalLearning.infoProSoftmax(new TestImageHead(), new TestClassifierHead());

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    private static ComputationGraph source() {
        ComputationGraph g = new ComputationGraph(TestNets.residualConf(new Sgd(0.5)));
        g.init();
        return g;
    }

    private static LocalModuleGraph local(ComputationGraph src, LambdaSchedule lambdas, String... cuts) {
        return LocalModuleGraph.builder(src.clone()).inputTypes(TestNets.INPUT).cutAfter(cuts).method(SOFTMAX)
                .lambdas(lambdas).updater(new Sgd(0.5))
                // the N(0, 1) test features are their own target, as in the hand-built graphs compared against
                .inputNormalization(Normalization.none(TestNets.C)).build();
    }

    /** Max difference between same-named layers' parameters of two graphs (only layers present in both). */
    private static double maxParamDiff(ComputationGraph a, ComputationGraph b) {
        double max = 0;
        int compared = 0;
        for (Layer la : a.getLayers()) {
            String name = la.conf().getLayer().getLayerName();
            if (b.getVertex(name) == null || !b.getVertex(name).hasLayer()) {
                continue;
            }
            Map<String, INDArray> pb = b.getLayer(name).paramTable();
            for (Map.Entry<String, INDArray> e : la.paramTable().entrySet()) {
                max = Math.max(max, TestNets.maxAbsDiff(e.getValue(), pb.get(e.getKey())));
                compared++;
            }
        }
        assertTrue(compared > 0, "no shared parameters compared");
        return max;
    }

    @Test
    void modulesEqualOneGraphWithFrozenVertexCut() {
        ComputationGraph src = source();
        LocalModuleGraph local = local(src, LambdaSchedule.linear(2.0, 0.7, 0, 0), "act1");
        assertEquals(2, local.numModules());

        // Reference: the whole network with a FrozenVertex after act1 and the same heads (same names) at act1.
        ComputationGraphConfiguration.GraphBuilder gb = TestNets.residual(new Sgd(0.5), 0.0, true, "act1");
        String rec = new TestImageHead().attach(gb, "act1", org.deeplearning4j.nn.conf.inputs.InputType.convolutional(6, 6, 4),
                "m0h0_", 2.0, TestNets.context());
        String cls = new TestClassifierHead().attach(gb, "act1", org.deeplearning4j.nn.conf.inputs.InputType.convolutional(6, 6, 4),
                "m0h1_", 0.7, TestNets.context());
        gb.setOutputs(rec, cls, "out");
        ComputationGraph ref = new ComputationGraph(gb.build());
        ref.init();
        for (ComputationGraph m : local.getModules()) {
            WeightTransfer.copyMatchingLayers(m, ref);
        }
        assertEquals(0.0, maxParamDiff(local.getModules().get(0), ref), "same start");
        for (int s = 0; s < 2; s++) {
            DataSet ds = TestNets.batch(300 + s);
            INDArray x01 = ds.getFeatures(); // identity normalisation
            ref.fit(new MultiDataSet(new INDArray[]{ds.getFeatures()},
                    new INDArray[]{x01, ds.getLabels(), ds.getLabels()}));
            double[] scores = local.fit(ds);
            assertEquals(ref.score(), scores[0] + scores[1], 1e-9, "summed module losses = reference score");
        }
        for (ComputationGraph m : local.getModules()) {
            double d = maxParamDiff(m, ref);
            assertTrue(d < 1e-6, "module parameters differ from the FrozenVertex reference by " + d);
        }
        // the reference without the cut lets the last loss reach module 1: it must differ, else the test is void
        ComputationGraphConfiguration.GraphBuilder gb2 = TestNets.residual(new Sgd(0.5), 0.0, true, null);
        new TestImageHead().attach(gb2, "act1", org.deeplearning4j.nn.conf.inputs.InputType.convolutional(6, 6, 4), "m0h0_", 2.0, TestNets.context());
        new TestClassifierHead().attach(gb2, "act1", org.deeplearning4j.nn.conf.inputs.InputType.convolutional(6, 6, 4), "m0h1_", 0.7, TestNets.context());
        gb2.setOutputs("m0h0_out", "m0h1_out", "out");
        ComputationGraph joint = new ComputationGraph(gb2.build());
        joint.init();
        LocalModuleGraph fresh = local(src, LambdaSchedule.linear(2.0, 0.7, 0, 0), "act1");
        for (ComputationGraph m : fresh.getModules()) {
            WeightTransfer.copyMatchingLayers(m, joint);
        }
        DataSet ds = TestNets.batch(300);
        joint.fit(new MultiDataSet(new INDArray[]{ds.getFeatures()},
                new INDArray[]{ds.getFeatures(), ds.getLabels(), ds.getLabels()}));
        fresh.fit(ds);
        assertTrue(maxParamDiff(fresh.getModules().get(0), joint) > 1e-6);
    }

    @Test
    void laterModulesLambdasAndHeadsDoNotChangeEarlierModules() {
        ComputationGraph src = source();
        LocalModuleGraph a = local(src, LambdaSchedule.explicit(new double[]{1, 1}, new double[]{0.5, 2}), "bn0", "act1");
        LocalModuleGraph b = local(src, LambdaSchedule.explicit(new double[]{1, 1}, new double[]{3, 0.1}), "bn0", "act1");
        // module 2 without its decoder (lambda1 = 0): a different set of heads
        LocalModuleGraph c = local(src, LambdaSchedule.explicit(new double[]{1, 1}, new double[]{0, 2}), "bn0", "act1");
        assertEquals(1, c.getModuleSpecs().get(1).getOutputNames().size());
        for (int s = 0; s < 2; s++) {
            DataSet ds = TestNets.batch(400 + s);
            a.fit(ds);
            b.fit(ds);
            c.fit(ds);
        }
        assertEquals(0.0, maxParamDiff(a.getModules().get(0), b.getModules().get(0)), 1e-12);
        assertEquals(0.0, maxParamDiff(a.getModules().get(0), c.getModules().get(0)), 1e-12);
        assertEquals(a.lastModuleScores()[0], b.lastModuleScores()[0], 1e-12);
        assertTrue(maxParamDiff(a.getModules().get(1), b.getModules().get(1)) > 1e-6, "module 2 must see its lambdas");
        // module 3 (last) reads module 2's output, so it differs too
        assertTrue(maxParamDiff(a.getModules().get(2), b.getModules().get(2)) > 1e-9);
    }
}

package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** endToEnd() must reproduce DL4J's own ComputationGraph.fit step for step. */
class EndToEndEquivalenceTest {

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    @Test
    void threeStepsEqualComputationGraphFitWithBatchNorm() {
        ComputationGraph plain = new ComputationGraph(TestNets.residualConf(new Nesterovs(0.1, 0.9)));
        plain.init();
        LocalModuleGraph local = LocalModuleGraph.builder(plain.clone()).inputTypes(TestNets.INPUT)
                .method(LocalLearning.endToEnd()).build();
        assertEquals(1, local.numModules());
        for (int s = 0; s < 3; s++) {
            DataSet ds = TestNets.batch(100 + s);
            plain.fit(ds);
            double[] scores = local.fit(ds);
            assertEquals(plain.score(), scores[0], 1e-9, "score of step " + s);
        }
        double diff = TestNets.maxAbsDiff(plain.params(), local.toComputationGraph().params());
        assertTrue(diff < 1e-6, "parameters differ by " + diff);
        assertTrue(TestNets.maxAbsDiff(plain.params(), plain.clone().params()) == 0.0);
        assertEquals(3, local.getIterationCount());
    }

    @Test
    void weightDecayEqualsDl4jL2OnWeightsAndBiasesWithAdam() {
        double wd = 0.05;
        ComputationGraph plain = new ComputationGraph(TestNets.residual(new Adam(0.01), wd, false, null).build());
        plain.init();
        ComputationGraph noL2 = new ComputationGraph(TestNets.residual(new Adam(0.01), 0.0, false, null).build());
        noL2.init();
        noL2.setParams(plain.params().dup());
        LocalModuleGraph local = LocalModuleGraph.builder(noL2).inputTypes(TestNets.INPUT).weightDecay(wd).build();
        for (int s = 0; s < 3; s++) {
            DataSet ds = TestNets.batch(200 + s);
            plain.fit(ds);
            local.fit(ds);
        }
        double diff = TestNets.maxAbsDiff(plain.params(), local.toComputationGraph().params());
        assertTrue(diff < 1e-6, "parameters differ by " + diff);
        // without the decay the result must differ, so the comparison above is meaningful
        ComputationGraph noDecay = new ComputationGraph(TestNets.residual(new Adam(0.01), 0.0, false, null).build());
        noDecay.init();
        noDecay.setParams(noL2.params().dup());
        assertTrue(TestNets.maxAbsDiff(plain.params(), noDecay.params()) > 1e-4);
    }
}

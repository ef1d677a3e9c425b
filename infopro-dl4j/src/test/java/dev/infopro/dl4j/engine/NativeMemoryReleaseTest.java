package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.List;
import org.nd4j.linalg.learning.config.Nesterovs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Releasing native memory (between modules, and after an evaluation) is on by default and changes nothing but
 * memory.
 */
class NativeMemoryReleaseTest {

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    private static LocalModuleGraphBuilder builder() {
        ComputationGraph src = new ComputationGraph(TestNets.residualConf(new Nesterovs(0.05, 0.9)));
        src.init();
        return LocalModuleGraph.builder(src).inputTypes(TestNets.INPUT).cutAfter("act1", "bn0")
                .method(LocalLearning.infoProSoftmax(new TestImageHead(), new TestClassifierHead()))
                .lambdas(LambdaSchedule.linear(1.0, 0.5, 0.2, 1.0))
                .updater(new Nesterovs(0.05, 0.9))
                .inputNormalization(Normalization.none(TestNets.C)); // N(0, 1) features: compared, not learnt
    }

    private static LocalModuleGraph local(boolean release) {
        return builder().releaseNativeMemory(release).build();
    }

    @Test
    void onByDefaultAndSettable() {
        LocalModuleGraph g = builder().build();
        assertTrue(g.isReleaseNativeMemory());
        g.setReleaseNativeMemory(false);
        assertFalse(g.isReleaseNativeMemory());
        assertFalse(local(false).isReleaseNativeMemory());
    }

    @Test
    void trainingIsBitwiseTheSameWithAndWithoutRelease() {
        LocalModuleGraph on = local(true);
        LocalModuleGraph off = local(false);
        for (int step = 0; step < 4; step++) {
            assertArrayEquals(off.fit(TestNets.batch(10 + step)), on.fit(TestNets.batch(10 + step)), 0.0);
            if (step == 1) { // evaluation between steps releases memory; training must go on unchanged
                DataSetIterator test = new ListDataSetIterator<>(List.of(TestNets.batch(20), TestNets.batch(21)));
                assertEquals(off.evaluate(test).accuracy(), on.evaluate(test).accuracy(), 0.0);
            }
        }
        for (int k = 0; k < on.numModules(); k++) {
            assertEquals(off.getModules().get(k).params(), on.getModules().get(k).params());
        }
    }

    @Test
    void evaluationKeepsTheWorkspacesTrainingSized() {
        // Inference runs in training's workspaces; destroying them after every evaluation made each epoch start with
        // a step that sizes them again, whose separate allocations fragmented glibc's heap and raised the peak
        // epoch after epoch (docs/benchmarks/memory.md, section 8).
        LocalModuleGraph g = local(true);
        g.fit(TestNets.batch(10));
        g.fit(TestNets.batch(11));
        long sized = LocalInference.workspaceBytes();
        assertTrue(sized > 0, "training should have left sized workspaces on this thread");
        g.evaluate(new ListDataSetIterator<>(List.of(TestNets.batch(20), TestNets.batch(21))));
        assertEquals(sized, LocalInference.workspaceBytes());
    }
}

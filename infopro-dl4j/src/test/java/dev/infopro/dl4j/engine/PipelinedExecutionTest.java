package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.backend.NativeThreads;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.OnNonFinite;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipelined training of real networks (with batch norm and InfoPro heads) equals sequential training: parameters,
 * batch-norm statistics, updater state, per-module scores of every iteration, counters; also with a skipped batch.
 * Both runs use one native thread per op, so the ops see the same thread counts and the comparison is bitwise.
 */
class PipelinedExecutionTest {
    private static int maxThreads;
    private static int masterThreads;

    @BeforeAll
    static void oneThreadPerOp() {
        TestNets.doublePrecision();
        maxThreads = Nd4j.getEnvironment().maxThreads();
        masterThreads = Nd4j.getEnvironment().maxMasterThreads();
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        NativeThreads.limitCurrentThread(1);
    }

    @AfterAll
    static void restoreThreads() {
        Nd4j.getEnvironment().setMaxThreads(maxThreads);
        Nd4j.getEnvironment().setMaxMasterThreads(masterThreads);
        NativeThreads.limitCurrentThread(maxThreads);
    }

    private static LocalModuleGraph model(String... cuts) {
        ComputationGraph g = new ComputationGraph(TestNets.residualConf(new Nesterovs(0.05, 0.9)));
        g.init();
        return LocalModuleGraph.builder(g).inputTypes(TestNets.INPUT).cutAfter(cuts)
                .method(LocalLearning.infoProSoftmax(new TestImageHead(), new TestClassifierHead()))
                .lambdas(LambdaSchedule.linear(1.0, 0.5, 0.2, 1.0))
                .inputNormalization(new double[]{0.5, 0.4}, new double[]{0.2, 0.3})
                .weightDecay(1e-3).build();
    }

    private static List<DataSet> data(int n, int nanAt) {
        List<DataSet> d = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            DataSet b = TestNets.batch(100 + i);
            if (i == nanAt) {
                b.getFeatures().putScalar(0, Double.NaN);
            }
            d.add(b);
        }
        return d;
    }

    /** Trains 2 epochs and returns the scores of every iteration, in the order the listener heard them. */
    private static List<String> train(LocalModuleGraph m, List<DataSet> data) {
        List<String> heard = new ArrayList<>();
        m.addLocalListener((model, epoch, iteration, scores) -> heard.add(epoch + "/" + iteration + " "
                + java.util.Arrays.toString(scores)));
        m.fit(new ListDataSetIterator<>(data, 1), 2);
        return heard;
    }

    private static void assertSameState(LocalModuleGraph a, LocalModuleGraph b) {
        assertEquals(a.getIterationCount(), b.getIterationCount());
        assertEquals(a.getEpochCount(), b.getEpochCount());
        assertEquals(a.getSkippedBatchCount(), b.getSkippedBatchCount());
        assertArrayEquals(a.lastModuleScores(), b.lastModuleScores(), 0.0);
        for (int k = 0; k < a.numModules(); k++) {
            ComputationGraph ma = a.getModules().get(k);
            ComputationGraph mb = b.getModules().get(k);
            assertEquals(ma.params(), mb.params(), "parameters and batch-norm statistics of module " + k);
            assertEquals(ma.getUpdater().getStateViewArray(), mb.getUpdater().getStateViewArray(),
                    "updater state of module " + k);
            assertEquals(ma.getConfiguration().getIterationCount(), mb.getConfiguration().getIterationCount());
            assertEquals(ma.getConfiguration().getEpochCount(), mb.getConfiguration().getEpochCount());
        }
    }

    @Test
    void pipelinedEqualsSequentialForTwoAndFourModules() {
        for (String[] cuts : new String[][]{{"act1"}, {"bn0", "act1", "c2"}}) {
            for (int depth : new int[]{1, 2}) {
                List<DataSet> data = data(5, -1);
                LocalModuleGraph seq = model(cuts);
                List<String> seqHeard = train(seq, data);
                LocalModuleGraph pipe = model(cuts);
                pipe.setPipelineDepth(depth);
                List<String> pipeHeard = train(pipe, data);
                assertEquals(seqHeard, pipeHeard, "K = " + (cuts.length + 1) + ", depth " + depth);
                assertEquals(10, pipeHeard.size());
                assertSameState(seq, pipe);
            }
        }
    }

    @Test
    void aSkippedBatchUpdatesNoModuleInThePipelineEither() {
        List<DataSet> data = data(6, 2);
        LocalModuleGraph seq = model("bn0", "act1", "c2");
        seq.setOnNonFinite(OnNonFinite.SKIP_BATCH);
        List<String> seqHeard = train(seq, data);
        LocalModuleGraph pipe = model("bn0", "act1", "c2");
        pipe.setOnNonFinite(OnNonFinite.SKIP_BATCH);
        pipe.setPipelineDepth(2);
        List<String> pipeHeard = train(pipe, data);
        assertEquals(2, pipe.getSkippedBatchCount());
        assertEquals(10, pipe.getIterationCount());
        assertEquals(seqHeard, pipeHeard);
        assertSameState(seq, pipe);
    }

    @Test
    void stopPolicyNamesTheBatchAndLeavesTheModelAsBeforeIt() {
        List<DataSet> data = data(6, 3);
        LocalModuleGraph seq = model("bn0", "act1", "c2");
        TrainingDivergedException es = assertThrows(TrainingDivergedException.class, () -> train(seq, data));
        LocalModuleGraph pipe = model("bn0", "act1", "c2");
        pipe.setPipelineDepth(2);
        TrainingDivergedException ep = assertThrows(TrainingDivergedException.class, () -> train(pipe, data));
        assertEquals(es.getMessage(), ep.getMessage());
        assertEquals(3, ep.getIteration());
        assertEquals(0, ep.getModule());
        assertSameState(seq, pipe);
    }

    @Test
    void aBadBatchFromTheIteratorFinishesTheEarlierOnesFirst() {
        List<DataSet> data = data(5, -1);
        data.set(3, new DataSet(Nd4j.zeros(TestNets.BATCH, 1, TestNets.H, TestNets.W), data.get(3).getLabels()));
        LocalModuleGraph seq = model("bn0", "act1");
        IllegalArgumentException es = assertThrows(IllegalArgumentException.class, () -> train(seq, data));
        LocalModuleGraph pipe = model("bn0", "act1");
        pipe.setPipelineDepth(2);
        IllegalArgumentException ep = assertThrows(IllegalArgumentException.class, () -> train(pipe, data));
        assertEquals(es.getMessage(), ep.getMessage());
        assertTrue(ep.getMessage().contains("does not match the network's input"), ep.getMessage());
        assertEquals(3, pipe.getIterationCount());
        assertSameState(seq, pipe);
    }

    @Test
    void pipelineDepthIsSavedWithTheModelAndChecked() throws Exception {
        LocalModuleGraph m = model("act1");
        m.setPipelineDepth(2);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        m.save(bytes);
        LocalModuleGraph back = LocalModuleGraph.load(new java.io.ByteArrayInputStream(bytes.toByteArray()), "t");
        assertEquals(2, back.getConfig().getPipelineDepth());
        assertTrue(back.getConfig().isPipelined());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.setPipelineDepth(-1));
        assertTrue(e.getMessage().contains("pipelineDepth must be >= 0"), e.getMessage());
    }

}

package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Weights in and out, inference without heads, ModelSerializer and save/load round trips. */
class ConversionAndPersistenceTest {

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    private static LocalModuleGraph infoPro(ComputationGraph src) {
        return LocalModuleGraph.builder(src).inputTypes(TestNets.INPUT).cutAfter("act1", "bn0")
                .method(LocalLearning.infoProSoftmax(new TestImageHead(), new TestClassifierHead()))
                .lambdas(LambdaSchedule.linear(1.0, 0.5, 0.2, 1.0))
                .inputNormalization(new double[]{0.5, 0.4}, new double[]{0.2, 0.3})
                .updater(new Nesterovs(0.05, 0.9)).weightDecay(1e-3).build();
    }

    @Test
    void trainedGraphWeightsAndBatchNormStatisticsAreKept() {
        ComputationGraph g = new ComputationGraph(TestNets.residualConf(new Nesterovs(0.05, 0.9)));
        g.init();
        g.fit(TestNets.batch(1)); // moves BN running statistics away from their initial values
        INDArray x = TestNets.batch(2).getFeatures();
        INDArray expected = g.output(false, x)[0];
        LocalModuleGraph local = infoPro(g.clone());
        assertEquals(List.of("bn0", "act1"), local.getConfig().getCuts());
        assertEquals(3, local.numModules());
        assertTrue(TestNets.maxAbsDiff(expected, local.output(x)[0]) < 1e-9);
        assertTrue(TestNets.maxAbsDiff(expected, local.toComputationGraph().output(false, x)[0]) < 1e-9);
    }

    @Test
    void toComputationGraphEqualsLocalOutputAndSerializes(@TempDir Path dir) throws Exception {
        ComputationGraph g = new ComputationGraph(TestNets.residualConf(new Nesterovs(0.05, 0.9)));
        g.init();
        LocalModuleGraph local = infoPro(g);
        List<DataSet> data = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            data.add(TestNets.batch(10 + i));
        }
        List<double[]> seen = new ArrayList<>();
        local.addLocalListener((model, epoch, iteration, scores) -> seen.add(scores));
        local.fit(new ListDataSetIterator<>(data, 1), 2);
        assertEquals(6, seen.size());
        assertEquals(6, local.getIterationCount());
        assertEquals(2, local.getEpochCount());
        assertEquals(3, local.lastModuleScores().length);
        for (double s : local.lastModuleScores()) {
            assertTrue(s > 0 && Double.isFinite(s));
        }
        INDArray x = TestNets.batch(99).getFeatures();
        ComputationGraph plain = local.toComputationGraph();
        assertEquals(g.getConfiguration().getVertices().keySet(), plain.getConfiguration().getVertices().keySet());
        assertEquals(g.getConfiguration().getVertexInputs(), plain.getConfiguration().getVertexInputs());
        assertTrue(TestNets.maxAbsDiff(plain.output(false, x)[0], local.output(x)[0]) < 1e-6);
        assertTrue(TestNets.maxAbsDiff(g.params(), plain.params()) > 1e-6, "training must have changed the weights");
        File f = dir.resolve("plain.zip").toFile();
        ModelSerializer.writeModel(plain, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertTrue(TestNets.maxAbsDiff(plain.output(false, x)[0], restored.output(false, x)[0]) < 1e-12);
        Evaluation e = local.evaluate(new ListDataSetIterator<>(data, 1));
        assertEquals(3 * TestNets.BATCH, e.getNumRowCounter(), 1e-9);
    }

    @Test
    void saveLoadThenStepEqualsStepWithoutRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraph g = new ComputationGraph(TestNets.residualConf(new Nesterovs(0.05, 0.9)));
        g.init();
        LocalModuleGraph a = infoPro(g);
        a.fit(TestNets.batch(20));
        a.fit(TestNets.batch(21)); // momentum state is non-zero now
        File f = dir.resolve("local.zip").toFile();
        a.save(f);
        a.save(f); // overwriting works, no temp files remain
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("local.zip"), files.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        }
        LocalModuleGraph b = LocalModuleGraph.load(f);
        assertEquals(a.getConfig(), b.getConfig());
        assertEquals(a.getModuleSpecs().size(), b.getModuleSpecs().size());
        assertEquals(2, b.getIterationCount());
        DataSet next = TestNets.batch(22);
        double[] sa = a.fit(next);
        double[] sb = b.fit(next);
        assertArrayEquals(sa, sb, 1e-12);
        for (int k = 0; k < a.numModules(); k++) {
            assertEquals(0.0, TestNets.maxAbsDiff(a.getModules().get(k).params(), b.getModules().get(k).params()), 1e-12);
        }
    }

    @Test
    void multiLayerNetworkChainIsConvertedWithItsPreprocessor() {
        MultiLayerNetwork mln = new MultiLayerNetwork(TestNets.chain(new Nesterovs(0.05, 0.9)));
        mln.init();
        INDArray x = TestNets.batch(5).getFeatures();
        INDArray expected = mln.output(x, false);
        ComputationGraph asGraph = mln.toComputationGraph();
        List<String> layers = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : asGraph.getLayers()) {
            layers.add(l.conf().getLayer().getLayerName());
        }
        LocalModuleGraph local = LocalModuleGraph.builder(mln).inputTypes(TestNets.INPUT)
                .modules(3, dev.infopro.dl4j.config.SplitStrategy.EQUAL_DEPTH)
                .method(LocalLearning.greedy(new TestClassifierHead())).build();
        assertEquals(4, layers.size());
        assertEquals(3, local.numModules());
        assertEquals(List.of(layers.get(0), layers.get(1)), local.getConfig().getCuts());
        assertTrue(TestNets.maxAbsDiff(expected, local.output(x)[0]) < 1e-9);
        for (int s = 0; s < 2; s++) {
            local.fit(TestNets.batch(50 + s));
        }
        INDArray after = local.output(x)[0];
        assertTrue(TestNets.maxAbsDiff(expected, after) > 1e-6);
        assertTrue(TestNets.maxAbsDiff(after, local.toComputationGraph().output(false, x)[0]) < 1e-6);
    }
}

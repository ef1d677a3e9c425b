package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.planning.GraphAnalysis;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cut analysis, split strategies, lambda schedule and the builder's error messages. */
class CutValidationTest {

    private static final LocalLearning GREEDY = LocalLearning.greedy(new TestClassifierHead());
    private static ComputationGraph graph;

    @BeforeAll
    static void setUp() {
        TestNets.doublePrecision();
        graph = new ComputationGraph(TestNets.residualConf(new Sgd(0.1)));
        graph.init();
    }

    private static LocalModuleGraphBuilder builder() {
        return LocalModuleGraph.builder(graph).inputTypes(TestNets.INPUT).method(GREEDY);
    }

    @Test
    void validCutsExcludeVerticesInsideTheResidualBlock() {
        GraphAnalysis a = new GraphAnalysis(TestNets.residualConf(new Sgd(0.1)));
        assertEquals(List.of("c0", "bn0", "add1", "act1", "c2", "gap"), a.validCuts());
        assertEquals(List.of("bn0 -> add1"), a.crossingEdges("r1a"));
        assertEquals(List.of("bn0 -> add1"), a.crossingEdges("r1b"));
    }

    @Test
    void skipConnectionCrossingTheCutIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder().cutAfter("r1a").build());
        assertTrue(e.getMessage().contains("Invalid cut after 'r1a'"), e.getMessage());
        assertTrue(e.getMessage().contains("[bn0 -> add1]"), e.getMessage());
        assertTrue(e.getMessage().contains("Valid cut vertices: [c0, bn0, add1, act1, c2, gap]"), e.getMessage());
    }

    @Test
    void unknownVertexInputAndOutputAreRejected() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> builder().cutAfter("nope").build());
        assertTrue(unknown.getMessage().startsWith("Unknown vertex 'nope'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("Valid cut vertices: [c0"), unknown.getMessage());
        IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
                () -> builder().cutAfter("out").build());
        assertTrue(out.getMessage().contains("'out': it is a network output"), out.getMessage());
        IllegalArgumentException in = assertThrows(IllegalArgumentException.class,
                () -> builder().cutAfter("in").build());
        assertTrue(in.getMessage().contains("it is a network input"), in.getMessage());
    }

    @Test
    void tooManyModulesFailClearlyAndBalancedMemoryChoosesValidCuts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder().modules(8, SplitStrategy.EQUAL_DEPTH).build());
        assertTrue(e.getMessage().contains("Cannot split into 8 modules: the graph has only 6 valid cut vertices"),
                e.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> builder().modules(8, SplitStrategy.BALANCED_MEMORY).build());
        assertTrue(b.getMessage().contains("Cannot split into 8 modules"), b.getMessage());
        LocalModuleGraph g = builder().modules(3, SplitStrategy.BALANCED_MEMORY).memoryBatchSize(8).build();
        assertEquals(3, g.numModules());
        List<String> valid = new GraphAnalysis(TestNets.residualConf(new Sgd(0.1))).validCuts();
        assertTrue(valid.containsAll(g.getConfig().getCuts()), g.getConfig().getCuts() + " not in " + valid);
    }

    @Test
    void missingSettingsAreReported() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> LocalModuleGraph.builder(graph).inputTypes(TestNets.INPUT).cutAfter("act1")
                        .method(LocalLearning.infoProSoftmax(new TestImageHead(), new TestClassifierHead()))
                        .lambdas(LambdaSchedule.linear(0, 0, 1, 1)).build());
        assertTrue(zero.getMessage().contains("has no local loss"), zero.getMessage());
        IllegalArgumentException wrongTarget = assertThrows(IllegalArgumentException.class,
                () -> LocalLearning.infoProContrast(new TestClassifierHead(), new TestClassifierHead()));
        assertTrue(wrongTarget.getMessage().contains("must have target INPUT_IMAGE"), wrongTarget.getMessage());
    }

    @Test
    void infoProWithoutLambdasUsesTheLibraryDefaults() {
        LocalModuleGraph two = LocalModuleGraph.builder(graph).inputTypes(TestNets.INPUT).cutAfter("act1")
                .method(LocalLearning.infoProSoftmax(new TestImageHead(), new TestClassifierHead())).build();
        assertEquals(LambdaSchedule.referenceDefault(2), two.getConfig().getLambdas());
        assertArrayEquals(new double[]{5, 1}, two.getModuleSpecs().get(0).getLambdas(), 0.0); // the reference's K = 2
        LocalModuleGraph three = LocalModuleGraph.builder(graph).inputTypes(TestNets.INPUT).cutAfter("bn0", "act1")
                .method(LocalLearning.infoProSoftmax(new TestImageHead(), new TestClassifierHead())).build();
        // K = 3 has no reference row: the K = 4 row (6, 0) -> (1, 2) over the two local modules; the second module
        // (r1a, r1b, add1, act1) has no batch norm, so its pair is scaled to sum 1
        assertArrayEquals(new double[]{6, 0}, three.getModuleSpecs().get(0).getLambdas(), 0.0);
        assertArrayEquals(new double[]{1 / 3.0, 2 / 3.0}, three.getModuleSpecs().get(1).getLambdas(), 1e-15);
        assertEquals(LambdaSchedule.defaultFor(3, new boolean[]{true, false}), three.getConfig().getLambdas());
        assertNull(LocalModuleGraph.builder(graph).inputTypes(TestNets.INPUT).cutAfter("act1").method(GREEDY).build()
                .getConfig().getLambdas(), "greedy has no lambda schedule");
    }

    @Test
    void equalDepthSplitsAChainEvenly() {
        ComputationGraphConfiguration.GraphBuilder gb = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .graphBuilder().addInputs("in");
        String prev = "in";
        for (int i = 0; i < 6; i++) {
            String n = "d" + i;
            if (i < 5) {
                gb.addLayer(n, new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(4).nOut(4).build(), prev);
            } else {
                gb.addLayer(n, new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nIn(4).nOut(3).build(), prev);
            }
            prev = n;
        }
        GraphAnalysis a = new GraphAnalysis(gb.setOutputs("d5").build());
        List<String> valid = a.validCuts();
        assertEquals(List.of("d0", "d1", "d2", "d3", "d4"), valid);
        assertArrayEquals(new int[]{1, 3}, SplitStrategy.EQUAL_DEPTH.chooseCuts(valid, new double[]{1, 1, 1, 1, 1, 1}, 3));
        // uneven costs: a heavy first segment gets a module of its own
        assertArrayEquals(new int[]{0, 3}, SplitStrategy.EQUAL_DEPTH.chooseCuts(valid, new double[]{4, 1, 1, 1, 1, 2}, 3));
    }

    @Test
    void equalDepthOnTheResidualGraphPicksValidCuts() {
        LocalModuleGraph local = builder().modules(3, SplitStrategy.EQUAL_DEPTH).build();
        // layer counts per segment: c0 1, bn0 1, [r1a r1b add1] 2, act1 1, c2 1, gap 1, [out] 1 -> 3 / 3 / 2 or similar
        assertEquals(List.of("bn0", "act1"), local.getConfig().getCuts());
        assertEquals(List.of("c0", "bn0"), local.getModuleSpecs().get(0).getBackboneVertices());
        assertEquals(List.of("r1a", "r1b", "add1", "act1"), local.getModuleSpecs().get(1).getBackboneVertices());
        assertEquals(List.of("c2", "gap", "out"), local.getModuleSpecs().get(2).getBackboneVertices());
    }

    @Test
    void lambdaScheduleFollowsSpec14() {
        LambdaSchedule s = LambdaSchedule.linear(6, 0, 1, 2);
        assertArrayEquals(new double[]{6, 0}, s.lambdas(0, 3), 1e-12);
        assertArrayEquals(new double[]{3.5, 1}, s.lambdas(1, 3), 1e-12);
        assertArrayEquals(new double[]{1, 2}, s.lambdas(2, 3), 1e-12);
        assertArrayEquals(new double[]{5, 1}, LambdaSchedule.linear(5, 1, 0, 0).lambdas(0, 1), 1e-12);
        LambdaSchedule k8 = LambdaSchedule.linear(5, 0, 0, 2);
        assertArrayEquals(new double[]{5 * (1 - 1.0 / 6), 2.0 / 6}, k8.lambdas(1, 7), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LambdaSchedule.explicit(new double[]{1, 1}).lambdas(0, 2));
        assertTrue(e.getMessage().contains("has 1 pairs but the network has 2 local modules"), e.getMessage());
    }
}

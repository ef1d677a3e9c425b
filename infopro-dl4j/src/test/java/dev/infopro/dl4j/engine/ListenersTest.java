package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DL4J training listeners and the progress hook see every module and iteration; nothing is kept after a step. */
class ListenersTest {

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    static final class Counting extends BaseTrainingListener {
        int forward, backward, gradient, done, epochEnd;
        List<Model> models = new ArrayList<>();

        @Override
        public void onForwardPass(Model model, Map<String, INDArray> activations) {
            forward++;
        }

        @Override
        public void onBackwardPass(Model model) {
            backward++;
        }

        @Override
        public void onGradientCalculation(Model model) {
            gradient++;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            done++;
            models.add(model);
        }

        @Override
        public void onEpochEnd(Model model) {
            epochEnd++;
        }
    }

    @Test
    void listenersAreCalledPerModuleAndIteration() {
        ComputationGraph g = new ComputationGraph(TestNets.residualConf(new Sgd(0.1)));
        g.init();
        LocalModuleGraph local = LocalModuleGraph.builder(g).inputTypes(TestNets.INPUT).cutAfter("bn0", "act1")
                .method(LocalLearning.greedy(new TestClassifierHead())).build();
        Counting c = new Counting();
        local.setListeners(c);
        List<String> events = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        local.addLocalListener(new LocalTrainingListener() {
            @Override
            public void onIteration(LocalModuleGraph model, int epoch, int iteration, double[] moduleScores) {
                assertTrue(model == local, "the listener gets the model that trains");
                events.add("it" + epoch + "/" + iteration);
                scores.add(moduleScores);
            }

            @Override
            public void onEpochEnd(LocalModuleGraph model, int epoch, double[] lastModuleScores) {
                assertTrue(model == local, "the listener gets the model that trains");
                events.add("end" + epoch);
            }
        });
        List<DataSet> data = List.of(TestNets.batch(1), TestNets.batch(2));
        local.fit(new ListDataSetIterator<>(data, 1), 1);
        assertEquals(List.of("it0/0", "it0/1", "end0"), events);
        assertEquals(6, c.forward);
        assertEquals(6, c.backward);
        assertEquals(6, c.gradient);
        assertEquals(6, c.done);
        assertEquals(3, c.epochEnd);
        assertEquals(local.getModules(), c.models.subList(0, 3));
        assertArrayEquals(scores.get(1), local.lastModuleScores(), 0.0);
        for (ComputationGraph m : local.getModules()) {
            assertNull(m.getInputs(), "a module keeps its input after the step");
            assertTrue(m.score() > 0);
        }
    }
}

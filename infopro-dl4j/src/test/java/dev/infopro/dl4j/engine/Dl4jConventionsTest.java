package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.Normalization;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.listeners.CheckpointListener;
import org.deeplearning4j.optimize.listeners.CollectScoresListener;
import org.deeplearning4j.optimize.listeners.EvaluativeListener;
import org.deeplearning4j.optimize.listeners.PerformanceListener;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.evaluation.classification.ROCMultiClass;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.MultiDataSetIteratorAdapter;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerMinMaxScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import java.io.File;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DL4J's conventions where users meet the model: listeners, doEvaluation, MultiDataSetIterator, normalisers. */
class Dl4jConventionsTest {

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    private static LocalModuleGraph model() {
        ComputationGraph net = new ComputationGraph(TestNets.residualConf(new Sgd(0.1)));
        net.init();
        return LocalModuleGraph.builder(net).inputTypes(TestNets.INPUT).cutAfter("act1")
                .method(LocalLearning.greedy()).build();
    }

    private static DataSetIterator data() {
        return new ListDataSetIterator<>(List.of(TestNets.batch(1), TestNets.batch(2), TestNets.batch(3)), 1);
    }

    @Test
    void scoreListenersWorkAndWholeNetworkListenersAreRefusedWithOurEquivalent(@TempDir File dir) {
        LocalModuleGraph local = model();
        CollectScoresListener scores = new CollectScoresListener(1);
        local.setListeners(new ScoreIterationListener(1), scores);
        local.fit(data(), 1);
        // called once per module and iteration, with that module's score
        assertEquals(6, scores.getListScore().size());
        assertEquals(local.lastModuleScores()[0], scores.getListScore().getDouble(4), 1e-12);
        assertEquals(local.lastModuleScores()[1], scores.getListScore().getDouble(5), 1e-12);

        IllegalArgumentException eval = assertThrows(IllegalArgumentException.class,
                () -> local.setListeners(new EvaluativeListener(data(), 1)));
        assertTrue(eval.getMessage().startsWith("EvaluativeListener cannot be used on a local model")
                && eval.getMessage().contains("LocalTrainer.builder(model).test(data)")
                && eval.getMessage().contains("doEvaluation"), eval.getMessage());
        IllegalArgumentException ckpt = assertThrows(IllegalArgumentException.class,
                () -> local.setListeners(new CheckpointListener.Builder(dir).keepAll().saveEveryNEpochs(1).build()));
        assertTrue(ckpt.getMessage().contains("CheckpointManager") && ckpt.getMessage().contains("exact resume"),
                ckpt.getMessage());
        IllegalArgumentException perf = assertThrows(IllegalArgumentException.class,
                () -> local.setListeners(new PerformanceListener(1)));
        assertTrue(perf.getMessage().contains("LocalTrainer reports the seconds and peak memory"), perf.getMessage());
        local.fit(data(), 1);
        assertEquals(12, scores.getListScore().size(), "a refused listener list leaves the previous one in place");
    }

    @Test
    void doEvaluationRunsAnyDl4jEvaluationAsTheExportedGraphDoes() {
        LocalModuleGraph local = model();
        local.fit(data(), 2);
        ROCMultiClass roc = new ROCMultiClass();
        Evaluation acc = new Evaluation();
        local.doEvaluation(data(), roc, acc);
        ROCMultiClass expected = local.toComputationGraph().doEvaluation(data(), new ROCMultiClass())[0];
        for (int c = 0; c < TestNets.CLASSES; c++) {
            assertEquals(expected.calculateAUC(c), roc.calculateAUC(c), 1e-12, "class " + c);
        }
        assertEquals(24, acc.getNumRowCounter(), 0.0);
        assertEquals(local.evaluate(data()).accuracy(), acc.accuracy(), 0.0);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> local.doEvaluation(data()));
        assertTrue(none.getMessage().contains("new ROC()"), none.getMessage());
    }

    @Test
    void fitOnAMultiDataSetIteratorTrainsAsOnTheDataSetIterator() {
        LocalModuleGraph a = model();
        LocalModuleGraph b = model();
        a.fit(data(), 2);
        b.fit(new MultiDataSetIteratorAdapter(data()), 2);
        assertEquals(a.toComputationGraph().params(), b.toComputationGraph().params());
        assertEquals(2, b.getEpochCount());
        assertEquals(6, b.getIterationCount());
    }

    @Test
    void dl4jNormalisersConvertToTheNormalisationTheyRevert() {
        Nd4j.getRandom().setSeed(4);
        INDArray raw = Nd4j.rand(DataType.DOUBLE, 10, 3, 4, 4);
        raw.slice(0, 1).muli(0.5); // channels with different statistics
        NormalizerStandardize std = new NormalizerStandardize();
        std.fit(new DataSet(raw, Nd4j.zeros(10, 2)));
        NormalizerMinMaxScaler minMax = new NormalizerMinMaxScaler(-1, 1);
        minMax.fit(new DataSet(raw, Nd4j.zeros(10, 2)));
        for (org.nd4j.linalg.dataset.api.preprocessor.DataNormalization n : List.of(std, minMax)) {
            INDArray x = raw.dup();
            n.transform(x);
            Normalization read = Normalization.fromPreProcessor(n, x).orElseThrow();
            assertEquals(3, read.channels(), n.getClass().getSimpleName());
            INDArray reverted = x.dup();
            n.revertFeatures(reverted);
            assertEquals(0.0, TestNets.maxAbsDiff(reverted, read.denormalize(x)), 1e-9, n.getClass().getSimpleName());
            assertEquals(0.0, TestNets.maxAbsDiff(raw, read.denormalize(x)), 1e-9);
        }
        INDArray pixels = raw.mul(255);
        ImagePreProcessingScaler scaler = new ImagePreProcessingScaler(-1, 1);
        INDArray x = pixels.dup();
        scaler.transform(x);
        Normalization read = Normalization.fromPreProcessor(scaler, x).orElseThrow();
        assertEquals(0.0, TestNets.maxAbsDiff(raw, read.denormalize(x)), 1e-9, "pixels back in [0, 1]");
        assertTrue(Normalization.fromPreProcessor(ds -> { }, x).isEmpty());
        assertTrue(Normalization.fromPreProcessor(null, x).isEmpty());
    }
}

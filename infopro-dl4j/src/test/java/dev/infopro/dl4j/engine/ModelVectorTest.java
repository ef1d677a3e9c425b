package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.checkpoint.CheckpointTestNets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelVectorTest {

    /** A model after two steps, so that momentum buffers and batch-norm running statistics are not at their init. */
    private static LocalModuleGraph trained() {
        LocalModuleGraph m = CheckpointTestNets.model();
        ImageDataSetIterator it = CheckpointTestNets.iterator(CheckpointTestNets.dataset(16), 3);
        m.fit(it.next());
        m.fit(it.next());
        return m;
    }

    @Test
    void layoutIsParamsOfEveryModuleThenUpdaterStateOfEveryModule() {
        LocalModuleGraph m = trained();
        ComputationGraph m0 = m.getModules().get(0);
        ComputationGraph m1 = m.getModules().get(1);
        long p0 = m0.params().length(), p1 = m1.params().length();
        long u0 = m0.getUpdater().getStateViewArray().length(), u1 = m1.getUpdater().getStateViewArray().length();
        assertEquals(p0 + p1, ModelVector.length(m, false));
        assertEquals(p0 + p1 + u0 + u1, ModelVector.length(m, true));
        double[] v = ModelVector.read(m, true).toDoubleVector();
        assertEquals(m0.params().toDoubleVector()[3], v[3]);
        assertEquals(m1.params().toDoubleVector()[1], v[(int) p0 + 1]);
        assertEquals(m0.getUpdater().getStateViewArray().toDoubleVector()[2], v[(int) (p0 + p1 + 2)]);
        assertEquals(m1.getUpdater().getStateViewArray().toDoubleVector()[0], v[(int) (p0 + p1 + u0)]);
        // batch-norm running mean of module 0 is in the vector (DL4J keeps it among the parameters)
        INDArray mean = m0.getLayer("bn0").getParam("mean");
        assertTrue(mean.amaxNumber().doubleValue() > 0, "running mean moved after two steps");
    }

    @Test
    void writingAnotherModelsVectorMakesItIdentical() {
        LocalModuleGraph a = trained();
        LocalModuleGraph b = CheckpointTestNets.model();
        b.fit(CheckpointTestNets.iterator(CheckpointTestNets.dataset(8), 9).next()); // sizes b's updater state
        assertTrue(CheckpointTestNets.maxDiff(a, b) > 1e-3);
        ModelVector.write(b, ModelVector.read(a, true), true);
        assertEquals(0.0, CheckpointTestNets.maxDiff(a, b));
        // and the copy is detached: training a does not move b
        a.fit(CheckpointTestNets.iterator(CheckpointTestNets.dataset(8), 4).next());
        assertTrue(CheckpointTestNets.maxDiff(a, b) > 0);
    }

    @Test
    void withoutUpdaterOnlyParametersChange() {
        LocalModuleGraph a = trained();
        LocalModuleGraph b = trained();
        b.fit(CheckpointTestNets.iterator(CheckpointTestNets.dataset(8), 4).next());
        INDArray bUpdater = b.getModules().get(0).getUpdater().getStateViewArray().dup();
        ModelVector.write(b, ModelVector.read(a, false), false);
        assertEquals(a.getModules().get(1).params(), b.getModules().get(1).params());
        assertEquals(bUpdater, b.getModules().get(0).getUpdater().getStateViewArray());
    }

    @Test
    void wrongLengthIsRefusedWithBothLengths() {
        LocalModuleGraph a = trained();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelVector.write(a, ModelVector.read(a, false), true));
        assertTrue(e.getMessage().contains("has " + ModelVector.length(a, false) + " values"), e.getMessage());
        assertTrue(e.getMessage().contains("have " + ModelVector.length(a, true)), e.getMessage());
    }

    @Test
    void countersMoveOnTheModelAndItsModuleGraphs() {
        LocalModuleGraph a = trained();
        ModelVector.setCounters(a, 17, 3);
        assertEquals(17, a.getIterationCount());
        assertEquals(3, a.getEpochCount());
        assertEquals(17, a.getModules().get(1).getConfiguration().getIterationCount());
        assertEquals(3, a.getModules().get(0).getConfiguration().getEpochCount());
        assertThrows(IllegalArgumentException.class, () -> ModelVector.setCounters(a, -1, 0));
    }
}

package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.engine.TrainingDivergedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NaN/Inf losses or gradients stop training (naming module, epoch, iteration) or skip the batch for all modules. */
class DivergenceTest {

    private static List<DataSet> batches(int n) {
        List<DataSet> out = new ArrayList<>();
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(CheckpointTestNets.dataset(n * 8), 3)) {
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return out;
    }

    private static DataSet withNaN(DataSet d) {
        INDArray x = d.getFeatures().dup();
        x.putScalar(new long[]{0, 0, 2, 3}, Float.NaN);
        return new DataSet(x, d.getLabels());
    }

    private static INDArray[] snapshot(LocalModuleGraph m) {
        INDArray[] s = new INDArray[2 * m.numModules()];
        for (int k = 0; k < m.numModules(); k++) {
            s[2 * k] = m.getModules().get(k).params().dup();
            s[2 * k + 1] = m.getModules().get(k).getUpdater().getStateViewArray().dup();
        }
        return s;
    }

    private static void assertUnchanged(INDArray[] before, LocalModuleGraph m) {
        INDArray[] now = snapshot(m);
        for (int i = 0; i < now.length; i++) {
            // bitwise comparison: NaN equals NaN here, unlike INDArray.equals
            assertTrue(java.util.Arrays.equals(before[i].data().asDouble(), now[i].data().asDouble()),
                    "module " + i / 2 + (i % 2 == 0 ? " parameters" : " updater state") + " changed");
        }
    }

    @Test
    void nanInputStopsWithModuleEpochIterationAndKeepsModelAndCheckpoint(@TempDir Path dir) throws Exception {
        List<DataSet> data = batches(2);
        LocalModuleGraph m = CheckpointTestNets.model();
        m.fit(data.get(0));
        CheckpointManager cm = new CheckpointManager(dir);
        Path saved = cm.save(m, null, Map.of());
        INDArray[] before = snapshot(m);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> m.fit(withNaN(data.get(1))));
        assertEquals(0, e.getModule());
        assertEquals(0, e.getEpoch());
        assertEquals(1, e.getIteration());
        assertTrue(e.getMessage().contains("module 0") && e.getMessage().contains("iteration 1"), e.getMessage());
        assertUnchanged(before, m);
        assertEquals(1, m.getIterationCount());
        Checkpoint cp = cm.loadLatest().orElseThrow();
        assertEquals(saved, cp.getFile());
        assertEquals(0.0, CheckpointTestNets.maxDiff(m, cp.getModel()));
        // the model is still usable: a good batch trains normally afterwards
        double[] s = m.fit(data.get(1));
        assertTrue(Double.isFinite(s[0]) && Double.isFinite(s[1]));
        assertEquals(2, m.getIterationCount());
    }

    @Test
    void nanInALaterModuleStopsNamingThatModuleAndNoModuleIsUpdated() {
        List<DataSet> data = batches(1);
        LocalModuleGraph m = CheckpointTestNets.model();
        m.getModules().get(1).params().putScalar(0, Float.NaN); // module 0 stays finite, module 1 diverges
        INDArray[] before = snapshot(m);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> m.fit(data.get(0)));
        assertEquals(1, e.getModule());
        assertUnchanged(before, m); // module 0's finite update was not applied either
    }

    @Test
    void skipBatchAppliesNoUpdateToAnyModuleAndEqualsTrainingWithoutTheBatch() {
        List<DataSet> data = batches(2);
        LocalModuleGraph skipping = CheckpointTestNets.model();
        skipping.setOnNonFinite(OnNonFinite.SKIP_BATCH);
        skipping.fit(data.get(0));
        INDArray[] before = snapshot(skipping);
        double[] s = skipping.fit(withNaN(data.get(1)));
        assertTrue(Double.isNaN(s[0]), "the returned loss shows the bad batch: " + s[0]);
        assertUnchanged(before, skipping);
        skipping.fit(data.get(0));
        assertEquals(1, skipping.getSkippedBatchCount());
        assertEquals(2, skipping.getIterationCount());

        LocalModuleGraph clean = CheckpointTestNets.model();
        clean.fit(data.get(0));
        clean.fit(data.get(0));
        assertEquals(0.0, CheckpointTestNets.maxDiff(skipping, clean));
        assertArrayEquals(clean.lastModuleScores(), skipping.lastModuleScores(), 0.0);
    }

    @Test
    void nullPolicyIsRejected() {
        LocalModuleGraph m = CheckpointTestNets.model();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.setOnNonFinite(null));
        assertTrue(e.getMessage().contains("SKIP_BATCH"), e.getMessage());
    }
}

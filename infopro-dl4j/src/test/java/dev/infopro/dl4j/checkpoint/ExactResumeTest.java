package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two epochs in one go equal one epoch, checkpoint, load into fresh objects, one more epoch; and runs repeat. */
class ExactResumeTest {
    private static final ImageDataset DATA = CheckpointTestNets.dataset(36); // 5 batches, the last one partial
    private static final long SEED = 123;

    private static LocalModuleGraph uninterrupted(int epochs) {
        LocalModuleGraph m = CheckpointTestNets.model();
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(DATA, SEED)) {
            m.fit(it, epochs);
        }
        return m;
    }

    @Test
    void resumedTrainingEqualsUninterruptedTraining(@TempDir Path dir) throws Exception {
        LocalModuleGraph reference = uninterrupted(2);

        LocalModuleGraph first = CheckpointTestNets.model();
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(DATA, SEED)) {
            first.fit(it);
            new CheckpointManager(dir).save(first, it.getState(), Map.of("run", "resume-test"));
        }
        assertTrue(CheckpointTestNets.maxDiff(first, reference) > 1e-4, "the second epoch must change the model");

        Checkpoint cp = new CheckpointManager(dir).loadLatest().orElseThrow();
        assertEquals(1, cp.getEpoch());
        assertEquals(5, cp.getIteration());
        assertEquals(SEED, cp.getDataState().getSeed());
        LocalModuleGraph resumed = cp.getModel();
        // a differently seeded iterator: the restored state must bring back the run's seed and epoch
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(DATA, 999)) {
            it.restoreState(cp.getDataState());
            resumed.fit(it);
            assertEquals(1, it.getEpoch());
        }
        assertEquals(reference.getEpochCount(), resumed.getEpochCount());
        assertEquals(reference.getIterationCount(), resumed.getIterationCount());
        double d = CheckpointTestNets.maxDiff(reference, resumed);
        assertTrue(d <= 1e-6, "parameters and updater state after resume differ by " + d);
    }

    @Test
    void sameSeedAndConfigurationGiveIdenticalResults() {
        LocalModuleGraph a = uninterrupted(2);
        LocalModuleGraph b = uninterrupted(2);
        assertEquals(0.0, CheckpointTestNets.maxDiff(a, b), "two identical runs must agree bit for bit");
        double[] sa = a.lastModuleScores();
        double[] sb = b.lastModuleScores();
        for (int k = 0; k < sa.length; k++) {
            assertEquals(sa[k], sb[k], 0.0);
            assertTrue(Double.isFinite(sa[k]));
        }
    }
}

package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints of a {@link SameDiffLocalModel} through the same {@link CheckpointManager} as LocalModuleGraph runs. */
class SameDiffCheckpointTest {
    private static DataType oldType;
    private static DataType oldFloat;

    @BeforeAll
    static void doublePrecision() {
        oldType = Nd4j.dataType();
        oldFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(oldType, oldFloat);
    }

    // The tiny ResNet-8 of SameDiffLocalModelTest: one channel, 12 x 12 images, 4 classes, cut after s1b0.
    private static SameDiffLocalModel model() {
        CifarResNet spec = CifarResNet.builder().depth(8).channels(1).height(12).width(12).numClasses(4)
                .dataType(DataType.DOUBLE).build();
        return SameDiffLocalModel.builder(SameDiffResNet.of(spec)).cutAfter("s1b0")
                .method(LocalLearning.infoProContrast()).lambdas(LambdaSchedule.explicit(new double[][]{{2, 1}}))
                .updater(new TorchSgd(0.05)).weightDecay(1e-4).seed(7).build();
    }

    // Each step's batch depends only on its index, so both runs see the same data.
    private static DataSet batch(int step) {
        Nd4j.getRandom().setSeed(100 + step);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 8, 1, 12, 12);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 8, 4);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, (i + step) % 4, 1.0);
        }
        return new DataSet(x, y);
    }

    private static Map<String, INDArray> everything(SameDiffLocalModel m) {
        Map<String, INDArray> all = new HashMap<>(m.stateArrays());
        for (SameDiffModuleTrainer t : m.getTrainers()) {
            t.getUpdaterStates().forEach((k, v) -> all.put("updater/" + k, v));
        }
        return all;
    }

    /** Two steps, checkpoint, restore into a fresh model, two more steps: bit for bit the same as four steps. */
    @Test
    void resumeFromCheckpointManagerEqualsUninterruptedTraining(@TempDir Path dir) throws Exception {
        SameDiffLocalModel straight = model();
        straight.fit(batch(0));
        straight.fit(batch(1));
        CheckpointManager cm = new CheckpointManager(dir.resolve("checkpoints"));
        Path file = cm.save(straight, new IteratorState(5, 0, 2), Map.of("engine", "samediff"));
        assertEquals(CheckpointManager.fileName(0, 2), file.getFileName().toString());
        double[][] straightLosses = {straight.fit(batch(2)), straight.fit(batch(3))};

        SameDiffLocalModel resumed = model();
        Checkpoint cp = cm.loadLatest().orElseThrow();
        assertEquals("SameDiffLocalModel", cp.getModelKind());
        assertEquals(2, cp.getIteration());
        assertEquals(0, cp.getEpoch());
        assertEquals(new IteratorState(5, 0, 2), cp.getDataState());
        assertEquals("samediff", cp.getMetadata().get("engine"));
        IllegalStateException noGraph = assertThrows(IllegalStateException.class, cp::getModel);
        assertTrue(noGraph.getMessage().contains("holds a SameDiffLocalModel"), noGraph.getMessage());
        try (InputStream in = cp.openModelState()) {
            resumed.restore(in);
        }
        cp.restoreRandomState();
        assertEquals(2, resumed.getIterationCount());
        double[][] resumedLosses = {resumed.fit(batch(2)), resumed.fit(batch(3))};

        for (int i = 0; i < 2; i++) {
            assertArrayEquals(straightLosses[i], resumedLosses[i], 0.0, "losses of step " + (i + 3));
        }
        assertEquals(4, resumed.getIterationCount());
        Map<String, INDArray> expected = everything(straight);
        Map<String, INDArray> actual = everything(resumed);
        assertEquals(expected.keySet(), actual.keySet());
        assertTrue(expected.keySet().stream().anyMatch(k -> k.startsWith("updater/")), "momentum is compared too");
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            assertEquals(e.getValue(), actual.get(e.getKey()), e.getKey() + " after 2 + 2 steps vs 4 steps");
        }
    }

    /** A damaged newest SameDiff checkpoint is skipped as for LocalModuleGraph checkpoints. */
    @Test
    void corruptNewestCheckpointFallsBackToThePreviousOne(@TempDir Path dir) throws Exception {
        SameDiffLocalModel m = model();
        CheckpointManager cm = new CheckpointManager(dir);
        m.fit(batch(0));
        cm.save(m, null, null);
        Map<String, INDArray> afterOne = new HashMap<>();
        everything(m).forEach((k, v) -> afterOne.put(k, v.dup()));
        m.fit(batch(1));
        Path newest = cm.save(m, null, null);
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(newest, bytes);

        Checkpoint cp = cm.loadLatest().orElseThrow();
        assertEquals(1, cp.getIteration());
        assertEquals(List.of(CheckpointManager.fileName(0, 1), CheckpointManager.fileName(0, 2)),
                cm.list().stream().map(p -> p.getFileName().toString()).toList());
        SameDiffLocalModel fresh = model();
        fresh.restore(cp.openModelState());
        assertEquals(1, fresh.getIteration());
        Map<String, INDArray> restored = everything(fresh);
        assertEquals(afterOne.keySet(), restored.keySet());
        afterOne.forEach((k, v) -> assertEquals(v, restored.get(k), k + " as after the first step"));
    }
}

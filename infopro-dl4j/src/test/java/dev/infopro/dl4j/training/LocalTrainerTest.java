package dev.infopro.dl4j.training;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.checkpoint.CheckpointTestNets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.TrainingDivergedException;
import org.deeplearning4j.datasets.iterator.IteratorDataSetIterator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library's epoch loop: same training as fit(), per-epoch results, exact resume, early stopping, errors. */
class LocalTrainerTest {
    private static final ImageDataset TRAIN = CheckpointTestNets.dataset(36); // 5 batches, the last one partial
    private static final ImageDataset TEST = CheckpointTestNets.dataset(12);
    private static final long SEED = 123;

    @Test
    void severalEpochsOnAnIteratorThatCannotResetAreRefusedBeforeTheFirst() {
        LocalModuleGraph m = CheckpointTestNets.model();
        List<DataSet> batches = new ArrayList<>();
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(TRAIN, SEED)) {
            it.forEachRemaining(batches::add);
        }
        LocalTrainer twice = LocalTrainer.builder(m).train(new IteratorDataSetIterator(batches.iterator(), 8)).epochs(2)
                .build();
        String msg = assertThrows(IllegalArgumentException.class, twice::fit).getMessage();
        assertTrue(msg.startsWith("Training for 2 epochs needs an iterator that can reset"), msg);
        assertEquals(0, m.getIterationCount(), "nothing was trained");
        TrainingResult once = LocalTrainer.builder(m).train(new IteratorDataSetIterator(batches.iterator(), 8))
                .epochs(1).build().fit();
        assertEquals(1, once.getEpochs().size());
        assertEquals(batches.size(), m.getIterationCount());
    }

    @Test
    void trainsExactlyAsFitEpochByEpochAndRecordsEachEpoch() {
        LocalModuleGraph reference = CheckpointTestNets.model();
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(TRAIN, SEED)) {
            reference.fit(it, 2);
        }
        LocalModuleGraph m = CheckpointTestNets.model();
        List<String> events = new ArrayList<>();
        TrainingResult r;
        try (ImageDataSetIterator train = CheckpointTestNets.iterator(TRAIN, SEED);
             ImageDataSetIterator test = CheckpointTestNets.iterator(TEST, 1)) {
            r = LocalTrainer.builder(m).train(train).test(test).epochs(2).listener(new TrainerListener() {
                @Override
                public void onEpochStart(LocalModuleGraph model, int epoch) {
                    assertSame(m, model);
                    events.add("start" + epoch);
                }

                @Override
                public void onIteration(LocalModuleGraph model, int epoch, int iteration, double[] scores) {
                    events.add("it" + iteration);
                }

                @Override
                public void onEpochResult(LocalModuleGraph model, EpochResult result) {
                    assertSame(m, model);
                    events.add("result" + result.getEpoch());
                }
            }).build().fit();
        }
        assertEquals(0.0, CheckpointTestNets.maxDiff(reference, m), "the loop must train exactly as fit()");
        assertEquals(List.of("start0", "it0", "it1", "it2", "it3", "it4", "result1",
                "start1", "it5", "it6", "it7", "it8", "it9", "result2"), events);
        assertEquals(2, r.getEpochs().size());
        assertFalse(r.isStoppedEarly());
        EpochResult last = r.last();
        assertEquals(2, last.getEpoch());
        assertEquals(2, last.getMeanModuleScores().length);
        for (double s : last.getMeanModuleScores()) {
            assertTrue(Double.isFinite(s) && s > 0, "mean loss " + s);
        }
        assertTrue(last.getTestAccuracy() >= 0 && last.getTestAccuracy() <= 1);
        assertTrue(last.getSeconds() > 0);
    }

    @Test
    void resumingFromItsCheckpointEqualsAnUninterruptedRun(@TempDir Path dir) {
        LocalModuleGraph reference = CheckpointTestNets.model();
        TrainingResult full;
        try (ImageDataSetIterator train = CheckpointTestNets.iterator(TRAIN, SEED)) {
            full = LocalTrainer.builder(reference).train(train).epochs(3).build().fit();
        }
        CheckpointManager cm = new CheckpointManager(dir);
        try (ImageDataSetIterator train = CheckpointTestNets.iterator(TRAIN, SEED)) {
            LocalTrainer.builder(CheckpointTestNets.model()).train(train).epochs(2).checkpoints(cm, 1)
                    .checkpointMetadata(() -> Map.of("run", "a")).build().fit();
        }
        assertEquals(2, cm.list().size());
        Checkpoint cp = cm.loadLatest().orElseThrow();
        assertEquals("a", cp.getMetadata().get("run"));
        TrainingResult resumed;
        LocalTrainer trainer;
        // a differently seeded iterator: resumeFrom must restore the run's seed and position
        try (ImageDataSetIterator train = CheckpointTestNets.iterator(TRAIN, 999)) {
            trainer = LocalTrainer.builder(null).train(train).epochs(3).resumeFrom(cp).build();
            resumed = trainer.fit();
        }
        assertEquals(0.0, CheckpointTestNets.maxDiff(reference, trainer.getModel()));
        assertEquals(3, resumed.getEpochs().size(), "the history continues the checkpoint's");
        for (int e = 0; e < 3; e++) {
            assertArrayEquals(full.getEpochs().get(e).getMeanModuleScores(),
                    resumed.getEpochs().get(e).getMeanModuleScores(), 0.0, "epoch " + (e + 1));
        }
    }

    @Test
    void earlyStoppingEndsTheRunWhenTestAccuracyStopsImproving() {
        LocalModuleGraph m = CheckpointTestNets.model();
        TrainingResult r;
        try (ImageDataSetIterator train = CheckpointTestNets.iterator(TRAIN, SEED);
             ImageDataSetIterator test = CheckpointTestNets.iterator(TEST, 1)) {
            r = LocalTrainer.builder(m).train(train).test(test).epochs(40).earlyStopping(1).build().fit();
        }
        List<EpochResult> epochs = r.getEpochs();
        if (r.isStoppedEarly()) {
            EpochResult last = epochs.get(epochs.size() - 1);
            double bestBefore = epochs.subList(0, epochs.size() - 1).stream()
                    .mapToDouble(EpochResult::getTestAccuracy).max().orElseThrow();
            assertTrue(last.getTestAccuracy() <= bestBefore, "stopped although the accuracy improved");
            assertTrue(epochs.size() < 40);
            assertEquals(epochs.size(), m.getEpochCount());
        } else {
            // never stopped: then every epoch improved on the best before it
            double best = Double.NEGATIVE_INFINITY;
            for (EpochResult e : epochs) {
                assertTrue(e.getTestAccuracy() > best, "epoch " + e.getEpoch() + " did not improve but no stop");
                best = e.getTestAccuracy();
            }
        }
    }

    @Test
    void divergenceNamesTheLastGoodCheckpoint(@TempDir Path dir) {
        LocalModuleGraph m = CheckpointTestNets.model();
        CheckpointManager cm = new CheckpointManager(dir);
        try (ImageDataSetIterator train = CheckpointTestNets.iterator(TRAIN, SEED)) {
            LocalTrainer.builder(m).train(train).epochs(1).checkpoints(cm, 1).build().fit();
            m.addLocalListener((model, epoch, iteration, scores) -> {
                throw new TrainingDivergedException(0, epoch, iteration, "loss = NaN");
            });
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> LocalTrainer.builder(m).train(train).epochs(2).checkpoints(cm, 1).build().fit());
            assertTrue(e.getMessage().endsWith("; the last good checkpoint is kept: " + cm.list().get(0)),
                    e.getMessage());
            assertEquals(0, e.getModule());
        }
    }

    @Test
    void badSettingsAreRejectedWithWhatToDo() {
        LocalModuleGraph m = CheckpointTestNets.model();
        IllegalArgumentException noData = assertThrows(IllegalArgumentException.class,
                () -> LocalTrainer.builder(m).build());
        assertTrue(noData.getMessage().contains("train(data) is required"), noData.getMessage());
        try (ImageDataSetIterator train = CheckpointTestNets.iterator(TRAIN, SEED)) {
            IllegalArgumentException epochs = assertThrows(IllegalArgumentException.class,
                    () -> LocalTrainer.builder(m).train(train).epochs(0).build());
            assertTrue(epochs.getMessage().contains("epochs must be >= 1"), epochs.getMessage());
            IllegalArgumentException stop = assertThrows(IllegalArgumentException.class,
                    () -> LocalTrainer.builder(m).train(train).earlyStopping(2).build());
            assertTrue(stop.getMessage().contains("without test(data)"), stop.getMessage());
            IllegalArgumentException cp = assertThrows(IllegalArgumentException.class,
                    () -> LocalTrainer.builder(m).train(train).checkpoints(null, 1).build());
            assertTrue(cp.getMessage().contains("needs a manager"), cp.getMessage());
        }
    }
}

package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.training.EpochResult;
import dev.infopro.dl4j.training.TrainingResult;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.nio.file.Path;
import java.util.List;

import static dev.infopro.dl4j.spark.SparkTestSupport.C;
import static dev.infopro.dl4j.spark.SparkTestSupport.CLASSES;
import static dev.infopro.dl4j.spark.SparkTestSupport.H;
import static dev.infopro.dl4j.spark.SparkTestSupport.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training on {@code local[2]}: it learns, survives a failed task, and resumes from the driver's checkpoints. */
class SparkTrainingTest {

    private static LocalModuleGraph tiny() {
        return SparkTestSupport.model(DataType.FLOAT, new Nesterovs(0.05, 0.9), true, C, H, W, CLASSES,
                LocalLearning.greedy());
    }

    private static SparkLocalTrainer.Builder tinyRun(LocalModuleGraph model, ImageDataset data) {
        JavaRDD<ImageRecord> rdd = SparkImageData.partition(SparkTestSupport.spark(), data, 2).cache();
        AveragingSettings s = AveragingSettings.builder().normalization(Normalization.none(C)).seed(3)
                .batchSizePerWorker(4).averagingFrequency(2).build();
        return SparkLocalTrainer.builder(model, SparkTestSupport.spark(), rdd, RecordLayout.of(data), s);
    }

    @Test
    void infoProK2AndEndToEndLearnFashionMnistOnTwoWorkers() throws Exception {
        DatasetSplits fm = Datasets.loadEmbeddedFashionMnist();
        ImageDataset train = fm.getTrain().subset(1024, 1);
        Normalization norm = fm.getNormalization();
        JavaRDD<ImageRecord> rdd = SparkImageData.partition(SparkTestSupport.spark(), train, 2).cache();
        AveragingSettings s = AveragingSettings.builder().normalization(norm).seed(5).batchSizePerWorker(32)
                .averagingFrequency(2).threadsPerTask(1).build();
        for (LocalLearning method : List.of(LocalLearning.infoProContrast(), LocalLearning.endToEnd())) {
            LocalModuleGraph model = SparkTestSupport.model(DataType.FLOAT, new Nesterovs(0.05, 0.9), true, 1, 28,
                    28, 10, method);
            try (var test = fm.testIterator(250)) {
                SparkLocalTrainer trainer = SparkLocalTrainer.builder(model, SparkTestSupport.spark(), rdd,
                        RecordLayout.of(train), s).test(test).epochs(3).build();
                assertEquals(8, trainer.roundsPerEpoch(), "512 images per worker, batch 32, H = 2");
                TrainingResult r = trainer.fit();
                List<EpochResult> epochs = r.getEpochs();
                int last = model.numModules() - 1;
                double first = epochs.get(0).getMeanModuleScores()[last];
                double end = epochs.get(2).getMeanModuleScores()[last];
                assertTrue(end < 0.9 * first, method.getKind() + ": loss " + first + " -> " + end);
                System.out.printf("%s on local[2]: module losses %s -> %s, test accuracy %.3f%n", method.getKind(),
                        java.util.Arrays.toString(epochs.get(0).getMeanModuleScores()),
                        java.util.Arrays.toString(epochs.get(2).getMeanModuleScores()), r.last().getTestAccuracy());
                assertTrue(r.last().getTestAccuracy() > 0.3, method.getKind() + ": accuracy "
                        + r.last().getTestAccuracy() + " (chance 0.1)");
                assertEquals(method.getKind() == LocalLearning.Kind.END_TO_END ? 1 : 2, model.numModules());
            }
        }
    }

    @Test
    void aTaskThatFailsOnceIsRetriedWithTheSameResult() {
        ImageDataset data = SparkTestSupport.synthetic(32);
        LocalModuleGraph clean = tiny();
        tinyRun(clean, data).epochs(1).build().fit();
        LocalModuleGraph failing = tiny();
        // partition 0 throws after training in the round that starts at step 2 (of 4); Spark runs it again
        tinyRun(failing, data).epochs(1).failFirstAttemptAtStep(2).build().fit();
        assertEquals(4, failing.getIterationCount());
        assertEquals(0.0, SparkTestSupport.maxDiff(clean, failing), "the retried round averaged the same states");
    }

    @Test
    void checkpointsAfterARoundResumeExactly(@TempDir Path tmp) {
        ImageDataset data = SparkTestSupport.synthetic(32);
        LocalModuleGraph straight = tiny();
        TrainingResult all = tinyRun(straight, data).epochs(2).build().fit();

        CheckpointManager manager = new CheckpointManager(tmp, 10);
        LocalModuleGraph first = tiny();
        // an epoch is 2 rounds here; a checkpoint after every round, so one falls inside epoch 2
        tinyRun(first, data).epochs(2).checkpoints(manager, 1).build().fit();
        List<Path> files = manager.list();
        assertEquals(List.of("checkpoint-e0000-i000002.zip", "checkpoint-e0001-i000004.zip",
                "checkpoint-e0001-i000006.zip", "checkpoint-e0002-i000008.zip"),
                files.stream().map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toList()));
        Checkpoint mid = CheckpointManager.read(files.get(2)); // epoch 2, after its first round
        SparkLocalTrainer resumed = tinyRun(tiny(), data).epochs(2).resumeFrom(mid).build();
        TrainingResult r = resumed.fit();
        assertEquals(8, resumed.getModel().getIterationCount());
        assertEquals(0.0, SparkTestSupport.maxDiff(straight, resumed.getModel()), "resumed mid-epoch, exactly");
        assertEquals(2, r.getEpochs().size(), "epoch 1's result comes back from the checkpoint");
        assertEquals(all.getEpochs().get(0).getMeanModuleScores()[1], r.getEpochs().get(0).getMeanModuleScores()[1]);
    }
}

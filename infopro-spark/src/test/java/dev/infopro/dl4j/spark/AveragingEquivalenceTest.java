package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.ModelVector;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;

import static dev.infopro.dl4j.spark.SparkTestSupport.C;
import static dev.infopro.dl4j.spark.SparkTestSupport.CLASSES;
import static dev.infopro.dl4j.spark.SparkTestSupport.H;
import static dev.infopro.dl4j.spark.SparkTestSupport.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a round computes, against single-machine training with the library's own step. */
class AveragingEquivalenceTest {

    private static AveragingSettings.AveragingSettingsBuilder settings() {
        return AveragingSettings.builder().normalization(Normalization.none(C)).seed(11);
    }

    @Test
    void recordsThatDoNotFitTheModelAreRefusedOnTheDriver() {
        ImageDataset data = SparkTestSupport.synthetic(8);
        LocalModuleGraph model = SparkTestSupport.model(DataType.FLOAT, new Sgd(0.05), true, C, H, W, CLASSES,
                LocalLearning.greedy());
        JavaRDD<ImageRecord> rdd = SparkImageData.partition(SparkTestSupport.spark(), data, 1);
        AveragingSettings s = settings().batchSizePerWorker(8).build();
        RecordLayout wider = new RecordLayout("wider", C, H, W + 1, CLASSES);
        String m = assertThrows(IllegalArgumentException.class,
                () -> SparkLocalTrainer.builder(model, SparkTestSupport.spark(), rdd, wider, s).build()).getMessage();
        assertTrue(m.contains("expected [batch, " + C + ", " + H + ", " + W + "] (NCHW) but got [1, " + C + ", " + H
                + ", " + (W + 1) + "]"), m);
        RecordLayout moreClasses = new RecordLayout("more classes", C, H, W, CLASSES + 2);
        m = assertThrows(IllegalArgumentException.class,
                () -> SparkLocalTrainer.builder(model, SparkTestSupport.spark(), rdd, moreClasses, s).build())
                .getMessage();
        assertTrue(m.startsWith("The data has " + (CLASSES + 2) + " classes but the network has " + CLASSES), m);
        SparkLocalTrainer.builder(model, SparkTestSupport.spark(), rdd, RecordLayout.of(data), s).build();
    }

    @Test
    void oneWorkerWithH1IsSingleMachineTrainingBitForBit() {
        // batch norm, Nesterov momentum and weight decay: every piece of state a round carries
        ImageDataset data = SparkTestSupport.synthetic(24);
        LocalModuleGraph spark = SparkTestSupport.model(DataType.FLOAT, new Nesterovs(0.05, 0.9), true, C, H, W,
                CLASSES, LocalLearning.greedy());
        LocalModuleGraph single = SparkTestSupport.model(DataType.FLOAT, new Nesterovs(0.05, 0.9), true, C, H, W,
                CLASSES, LocalLearning.greedy());
        assertEquals(0.0, SparkTestSupport.maxDiff(spark, single));

        JavaRDD<ImageRecord> rdd = SparkImageData.partition(SparkTestSupport.spark(), data, 1).cache();
        AveragingSettings s = settings().batchSizePerWorker(8).averagingFrequency(1).build();
        SparkLocalTrainer trainer = SparkLocalTrainer.builder(spark, SparkTestSupport.spark(), rdd,
                RecordLayout.of(data), s).epochs(2).build();
        assertEquals(3, trainer.roundsPerEpoch());
        trainer.fit();

        // the worker's stream: partition 0 holds every record, its iterator has seed + 0, reshuffled every pass
        ImageDataSetIterator it = ImageDataSetIterator.builder().dataset(data).batchSize(8).seed(11).shuffle(true)
                .normalization(Normalization.none(C)).prefetch(0).build();
        for (int step = 0; step < 6; step++) {
            if (!it.hasNext()) {
                it.reset();
            }
            ModelVector.setCounters(single, step, step / 3);
            single.fit(it.next());
        }
        assertEquals(6, spark.getIterationCount());
        assertEquals(2, spark.getEpochCount());
        double runningMean = spark.getModules().get(0).getLayer("bn0").getParam("mean").amaxNumber().doubleValue();
        assertTrue(runningMean > 0, "batch-norm statistics were trained on the worker and came back");
        assertEquals(0.0, SparkTestSupport.maxDiff(spark, single), "one worker, H = 1: the same model bit for bit");
    }

    @Test
    void twoWorkersOneRoundIsOneStepOnTheUnionOfTheirBatches() {
        // plain SGD, no momentum, no batch norm, in double: the average of two steps is one step on both batches,
        // because DL4J's loss (and so the gradient) is the mean over the mini-batch
        ImageDataset data = SparkTestSupport.synthetic(16);
        LocalModuleGraph spark = SparkTestSupport.model(DataType.DOUBLE, new Sgd(0.1), false, C, H, W, CLASSES,
                LocalLearning.greedy());
        LocalModuleGraph single = SparkTestSupport.model(DataType.DOUBLE, new Sgd(0.1), false, C, H, W, CLASSES,
                LocalLearning.greedy());
        JavaRDD<ImageRecord> rdd = SparkImageData.partition(SparkTestSupport.spark(), data, 2);
        AveragingSettings s = settings().batchSizePerWorker(8).averagingFrequency(1).shuffle(false).build();
        SparkLocalTrainer trainer = SparkLocalTrainer.builder(spark, SparkTestSupport.spark(), rdd,
                RecordLayout.of(data), s).epochs(1).build();
        assertEquals(1, trainer.roundsPerEpoch(), "8 records per worker, batch 8: one round is the epoch");
        trainer.fit();

        DataSet union = ImageDataSetIterator.builder().dataset(data).batchSize(16).seed(0).shuffle(false)
                .normalization(Normalization.none(C)).prefetch(0).build().next();
        single.fit(union);
        double moved = ModelVector.read(single, false).sub(ModelVector.read(
                SparkTestSupport.model(DataType.DOUBLE, new Sgd(0.1), false, C, H, W, CLASSES,
                        LocalLearning.greedy()), false)).amaxNumber().doubleValue();
        assertTrue(moved > 1e-4, "the step changed the parameters (" + moved + ")");
        assertEquals(0.0, SparkTestSupport.maxDiff(spark, single), 1e-12);
        assertEquals(ModelVector.length(spark, true) * 8, trainer.getBytesPerRound(), "doubles travel as double[]");
    }
}

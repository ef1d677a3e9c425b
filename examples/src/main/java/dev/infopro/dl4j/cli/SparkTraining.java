package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.spark.AveragingSettings;
import dev.infopro.dl4j.spark.ImageRecord;
import dev.infopro.dl4j.spark.RecordLayout;
import dev.infopro.dl4j.spark.SparkImageData;
import dev.infopro.dl4j.spark.SparkLocalTrainer;
import dev.infopro.dl4j.training.TrainingResult;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Spark side of {@code infopro train --spark MASTER}: the same model, data, metrics and outputs as a
 * single-machine run, trained by {@link SparkLocalTrainer}. Kept in its own class so that Spark's classes are
 * loaded only when --spark is given.
 */
final class SparkTraining {
    private SparkTraining() {
    }

    static ExperimentResult run(ExperimentSpec spec, Path out, Experiment.Control control, SparkRunOptions o)
            throws IOException {
        o.check();
        Experiment.validate(spec);
        Experiment.ensureWritable(out);
        DatasetSplits data = Experiment.loadData(spec);
        SparkConf conf = new SparkConf().setAppName("infopro train " + spec.label()).setMaster(o.master)
                .setIfMissing("spark.ui.enabled", "false");
        if (o.master.startsWith("local")) {
            // one machine: bind to the loopback, so that a host name that does not resolve cannot stop the run
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        CheckpointManager checkpoints = new CheckpointManager(out.resolve("checkpoints"), control.getKeepCheckpoints());
        boolean epochCheckpoints = control.getCheckpointEvery() > 0
                || (control.getCheckpointEvery() < 0 && spec.getEpochs() > 1);
        try (JavaSparkContext sc = new JavaSparkContext(conf);
             ImageDataSetIterator test = data.testIterator(spec.getBatch())) {
            int workers = o.workers > 0 ? o.workers : sc.defaultParallelism();
            JavaRDD<ImageRecord> records = (o.executorsReadData
                    ? SparkImageData.readOnExecutors(sc, spec.getData(), workers, spec.getTrainSubset(), spec.getSeed())
                    : SparkImageData.partition(sc, data.getTrain(), workers)).cache();
            AveragingSettings settings = AveragingSettings.builder().batchSizePerWorker(spec.getBatch())
                    .averagingFrequency(o.averagingFrequency).aggregationDepth(o.aggregationDepth)
                    .threadsPerTask(o.threadsPerTask).seed(spec.getSeed()).normalization(data.getNormalization())
                    .augmentation(data.getTrainAugmentation()).build();
            int rounds = SparkLocalTrainer.roundsPerEpoch(records, settings);
            ProgressDisplay display = new ProgressDisplay(spec.label(), spec.getEpochs(), rounds, control.isProgress());
            IterationLosses losses = new IterationLosses();
            SparkLocalTrainer.Builder trainer = SparkLocalTrainer.builder(
                            control.isResume() ? null : Experiment.build(spec, data), sc, records,
                            RecordLayout.of(data.getTrain()), settings)
                    .test(test).epochs(spec.getEpochs())
                    .checkpoints(epochCheckpoints || o.checkpointRounds > 0 ? checkpoints : null, o.checkpointRounds)
                    .checkpointMetadata(() -> Map.of(Experiment.METADATA_ARGS, Json.line(control.getArgs())))
                    .listener(display).listener(losses);
            if (control.isResume()) {
                Checkpoint cp = checkpoints.loadLatest().orElseThrow(() -> new UsageException(
                        "--resume: no checkpoint in " + out.resolve("checkpoints")));
                trainer.resumeFrom(cp);
                System.err.println("infopro: resuming from " + cp.getFile() + " (epoch " + cp.getEpoch()
                        + ", iteration " + cp.getIteration() + ")");
            }
            SparkLocalTrainer run = trainer.build();
            run.getModel().setOnNonFinite(control.getOnNonFinite());
            TrainingResult result;
            try {
                result = run.fit();
            } finally {
                display.close();
            }
            System.err.printf("infopro: %d workers on %s, H = %d, %d rounds per epoch, %d bytes of state per worker"
                            + " and round each way%n", workers, o.master, o.averagingFrequency, rounds,
                    run.getBytesPerRound());
            return Experiment.writeOutputs(spec, out, result, run.getModel(), losses);
        }
    }
}

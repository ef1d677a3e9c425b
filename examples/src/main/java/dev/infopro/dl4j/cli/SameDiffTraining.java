package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.engine.TrainingDivergedException;
import dev.infopro.dl4j.memory.ProcessMemory;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffResNet;
import org.nd4j.linalg.schedule.ISchedule;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code infopro train --engine samediff}: the same CIFAR ResNet, cuts, method, lambdas, optimizer, schedule and
 * data as {@link Experiment#run}, trained as SameDiff module graphs ({@link SameDiffLocalModel}) with a plain epoch
 * loop. It writes {@code metrics.json} and {@code curves.png} in the DL4J path's format, the training state
 * ({@code samediff-state.zip}, {@link SameDiffLocalModel#save}) and the plain trained network in SameDiff's format
 * ({@code samediff-model.fb}), and checkpoints through the same {@link CheckpointManager} as the DL4J path, so
 * {@code --resume} continues exactly. Not supported here, with a usage error: zoo networks (no SameDiff form),
 * {@code --pipeline} and {@code --spark}.
 */
final class SameDiffTraining {
    /** The training state file of a SameDiff run. */
    static final String STATE_FILE = "samediff-state.zip";

    /**
     * Whether an {@code --engine} value names the SameDiff engine ({@code samediff}) rather than DL4J's
     * ({@code dl4j}); the one check of the option for every command that takes it.
     *
     * @throws UsageException for any other value
     */
    static boolean isSameDiff(String engine) {
        if (!"dl4j".equals(engine) && !"samediff".equals(engine)) {
            throw new UsageException("--engine must be dl4j or samediff, got " + engine);
        }
        return "samediff".equals(engine);
    }
    /** The plain trained network of a SameDiff run, in SameDiff's FlatBuffers format. */
    static final String MODEL_FILE = "samediff-model.fb";
    /** Checkpoint metadata: the metrics of the epochs trained so far, so a resumed run reports all of them. */
    static final String METADATA_EPOCHS = "infopro.samediff-epochs";

    private SameDiffTraining() {
    }

    /** Rejects what the SameDiff engine does not do, before any data is loaded. */
    static void checkSupported(ExperimentSpec spec, int pipelineDepth, boolean spark) {
        if (spec.getZoo() != null) {
            throw new UsageException("--engine samediff trains the CIFAR ResNets (--arch resnetN); " + spec.arch()
                    + " has no SameDiff form: use --engine dl4j");
        }
        if (pipelineDepth > 0) {
            throw new UsageException("--pipeline is not supported with --engine samediff (its modules run one after"
                    + " another)");
        }
        if (spark) {
            throw new UsageException("--spark is not supported with --engine samediff");
        }
    }

    /**
     * Trains and evaluates {@code spec} as SameDiff module graphs and writes the outputs into {@code out}, with
     * checkpoints in {@code out/checkpoints} through the same {@link CheckpointManager} as the DL4J path; with
     * {@code control.isResume()} it continues from the newest valid one exactly.
     */
    static ExperimentResult run(ExperimentSpec spec, Path out, Experiment.Control control) throws IOException {
        Experiment.validate(spec);
        checkSupported(spec, control.getPipelineDepth(), false);
        Experiment.ensureWritable(out);
        List<String> cuts = Experiment.cuts(spec); // usage errors before the data is loaded
        DatasetSplits data = Experiment.loadData(spec);
        SameDiffLocalModel local = build(spec, data, cuts);
        ISchedule schedule = Experiment.schedule(spec);
        CheckpointManager checkpoints = new CheckpointManager(out.resolve("checkpoints"), control.getKeepCheckpoints());
        int every = control.getCheckpointEvery() >= 0 ? control.getCheckpointEvery() : spec.getEpochs() > 1 ? 1 : 0;
        List<EpochMetrics> epochs = new ArrayList<>();
        try (ImageDataSetIterator train = data.trainIterator(spec.getBatch(), spec.getSeed());
             ImageDataSetIterator test = data.testIterator(spec.getBatch())) {
            if (control.isResume()) {
                resume(checkpoints, out, local, train, epochs);
            }
            for (int e = local.getEpoch() + 1; e <= spec.getEpochs(); e++) {
                ProcessMemory.resetPeak();
                long start = System.nanoTime();
                List<double[]> losses;
                try {
                    losses = local.fitEpoch(train);
                } catch (TrainingDivergedException ex) {
                    throw new IllegalStateException(ex.getMessage() + "; lower --lr", ex);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double accuracy = local.evaluate(test).accuracy();
                double[][] perBatch = losses.toArray(new double[0][]);
                epochs.add(new EpochMetrics(e, schedule.valueAt(0, e - 1), mean(perBatch), accuracy, seconds,
                        ProcessMemory.peakRssBytes(), perBatch));
                // ProgressDisplay listens to a LocalModuleGraph; one line per epoch is the SameDiff run's progress.
                if (control.isProgress()) {
                    System.err.printf("infopro: %s (samediff) epoch %d/%d: test accuracy %.4f, %.1f s%n",
                            spec.label(), e, spec.getEpochs(), accuracy, seconds);
                }
                if (every > 0 && e % every == 0) {
                    checkpoints.save(local, train.getState(), Map.of(
                            Experiment.METADATA_ARGS, Json.line(control.getArgs()),
                            METADATA_EPOCHS, Json.MAPPER.writeValueAsString(epochs)));
                }
            }
        }
        return writeOutputs(spec, out, local, epochs);
    }

    // The network is code: rebuild it from the saved command line, then read the checkpoint's state into it.
    private static void resume(CheckpointManager checkpoints, Path out, SameDiffLocalModel local,
                               ImageDataSetIterator train, List<EpochMetrics> epochs) throws IOException {
        Checkpoint cp = checkpoints.loadLatest().orElseThrow(() -> new UsageException(
                "--resume: no checkpoint in " + out.resolve("checkpoints")));
        try (InputStream in = cp.openModelState()) {
            local.restore(in);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--resume: " + cp.getFile() + " does not fit this run: " + e.getMessage());
        }
        if (cp.getDataState() != null) {
            train.restoreState(cp.getDataState());
        }
        String saved = cp.getMetadata().get(METADATA_EPOCHS);
        if (saved != null) {
            epochs.addAll(Arrays.asList(Json.MAPPER.readValue(saved, EpochMetrics[].class)));
        }
        System.err.println("infopro: resuming from " + cp.getFile() + " (epoch " + cp.getEpoch() + ")");
    }

    private static ExperimentResult writeOutputs(ExperimentSpec spec, Path out, SameDiffLocalModel local,
                                                 List<EpochMetrics> epochs) throws IOException {
        ExperimentResult summary = new ExperimentResult(spec.getMethod().cliName, local.getTrainers().size(),
                local.getCuts(), epochs.get(epochs.size() - 1).getTestAccuracy(),
                epochs.stream().mapToLong(EpochMetrics::getPeakRssBytes).max().orElse(-1),
                epochs.stream().mapToDouble(EpochMetrics::getSeconds).average().orElse(0), epochs);
        Json.MAPPER.writeValue(out.resolve("metrics.json").toFile(), summary);
        Charts.trainingCurves(spec.label(), epochs, out.resolve("curves.png"));
        local.save(out.resolve(STATE_FILE));
        local.toSameDiff().save(out.resolve(MODEL_FILE).toFile(), true);
        return summary;
    }

    // The same settings as Experiment.build gives the LocalModuleGraph, so the two engines train the same thing.
    private static SameDiffLocalModel build(ExperimentSpec spec, DatasetSplits data, List<String> cuts) {
        ImageDataset train = data.getTrain();
        CifarResNet net = CifarResNet.builder().depth(spec.getDepth()).channels(train.channels())
                .height(train.height()).width(train.width()).numClasses(train.numClasses()).seed(spec.getSeed())
                .build();
        SameDiffLocalModel.Builder b = SameDiffLocalModel.builder(SameDiffResNet.of(net))
                .updater(new TorchSgd(Experiment.schedule(spec)))
                .weightDecay(Experiment.recipe(spec).getWeightDecay())
                .inputNormalization(data.getNormalization())
                .seed(spec.getSeed());
        if (spec.getMethod() == Method.E2E) {
            b.method(LocalLearning.endToEnd());
        } else {
            b.method(spec.getMethod().learning()).cutAfter(cuts.toArray(new String[0]));
        }
        double[] l = spec.getLambdas();
        if (l != null && (spec.getMethod() == Method.INFOPRO_CONTRAST || spec.getMethod() == Method.INFOPRO_SOFTMAX)) {
            b.lambdas(LambdaSchedule.linear(l[0], l[1], l[2], l[3]));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static double[] mean(double[][] perBatch) {
        double[] m = new double[perBatch.length == 0 ? 0 : perBatch[0].length];
        for (double[] row : perBatch) {
            for (int i = 0; i < m.length; i++) {
                m[i] += row[i] / perBatch.length;
            }
        }
        return m;
    }
}

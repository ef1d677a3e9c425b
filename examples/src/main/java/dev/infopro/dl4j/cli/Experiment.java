package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.engine.TrainingDivergedException;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.ModelProvenance;
import dev.infopro.dl4j.engine.LocalModuleGraphBuilder;
import dev.infopro.dl4j.training.EpochResult;
import dev.infopro.dl4j.training.LocalTrainer;
import dev.infopro.dl4j.training.TrainingResult;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.models.CutPresets;
import dev.infopro.dl4j.optim.TrainingRecipe;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import dev.infopro.dl4j.optim.TorchSgd;
import org.nd4j.linalg.schedule.ISchedule;
import dev.infopro.dl4j.optim.CosineAnnealingSchedule;
import org.nd4j.linalg.schedule.FixedSchedule;

import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one {@link ExperimentSpec}: loads the data, builds the CIFAR ResNet, splits it, trains epoch by epoch with
 * a progress display, evaluates on the test set after each epoch and writes {@code metrics.json}, a PNG of the
 * curves and the trained models into the output directory. {@code train}, {@code compare} and {@code demo} all
 * run through here.
 */
final class Experiment {
    private Experiment() {
    }

    /** Loads the dataset of a spec, applying the subsets. */
    static DatasetSplits loadData(ExperimentSpec spec) {
        int colon = spec.getData().indexOf(':');
        if (colon > 0) {
            Path dir = Path.of(spec.getData().substring(colon + 1));
            if (!Files.isDirectory(dir)) {
                throw new UsageException("--data " + spec.getData() + ": directory " + dir + " does not exist");
            }
        }
        DatasetSplits splits;
        try {
            splits = Datasets.load(spec.getData());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--data " + spec.getData() + ": " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        ImageDataset train = splits.getTrain();
        ImageDataset test = splits.getTest();
        if (spec.getTrainSubset() > 0 && spec.getTrainSubset() < train.size()) {
            train = train.subset(spec.getTrainSubset(), spec.getSeed());
        }
        if (spec.getTestSubset() > 0 && spec.getTestSubset() < test.size()) {
            test = test.subset(spec.getTestSubset(), spec.getSeed());
        }
        return splits.toBuilder().train(train).test(test).build();
    }

    /** Builds the network and its local modules for a spec on the given data. */
    static LocalModuleGraph build(ExperimentSpec spec, DatasetSplits data) {
        ImageDataset train = data.getTrain();
        List<String> cuts = spec.getMethod() != Method.E2E ? cuts(spec) : null; // usage errors before the network
        Nd4j.getRandom().setSeed(spec.getSeed());
        ComputationGraph graph = spec.getZoo() != null
                ? spec.getZoo().build(train.channels(), train.height(), train.width(), train.numClasses(),
                        spec.getSeed())
                : CifarResNet.builder().depth(spec.getDepth()).channels(train.channels()).height(train.height())
                        .width(train.width()).numClasses(train.numClasses()).seed(spec.getSeed()).build().init();
        TrainingRecipe recipe = recipe(spec);
        LocalModuleGraphBuilder b = LocalModuleGraph.builder(graph)
                .inputTypes(InputType.convolutional(train.height(), train.width(), train.channels()))
                .method(spec.getMethod().learning())
                .updater(new TorchSgd(schedule(spec)))
                .weightDecay(recipe.getWeightDecay())
                .inputNormalization(data.getNormalization());
        if (spec.getMethod() != Method.E2E) {
            if (cuts != null) {
                b.cutAfter(cuts.toArray(new String[0]));
            } else {
                b.modules(spec.getK(), SplitStrategy.BALANCED_MEMORY).memoryBatchSize(spec.getBatch());
            }
        }
        double[] l = spec.getLambdas();
        if (l != null && (spec.getMethod() == Method.INFOPRO_CONTRAST || spec.getMethod() == Method.INFOPRO_SOFTMAX)) {
            b.lambdas(LambdaSchedule.linear(l[0], l[1], l[2], l[3])); // without --lambdas: the library's defaults
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage()); // invalid cuts, K, lambdas: the user's configuration
        }
    }

    /**
     * The cut vertices of a spec: explicit, the paper's balanced table, or the presets; null for a zoo network
     * without explicit cuts (it has no presets: the memory-balanced split of K is chosen when it is built).
     */
    static List<String> cuts(ExperimentSpec spec) {
        if (spec.getMethod() == Method.E2E) {
            return List.of();
        }
        if (spec.getCuts() != null && !spec.getCuts().isEmpty()) {
            return spec.getCuts();
        }
        if (spec.getK() < 2) {
            throw new UsageException("--method " + spec.getMethod() + " needs --k 2 or more (or --cuts)");
        }
        if (spec.getZoo() != null) {
            if (spec.isBalanced()) {
                throw new UsageException("--balanced is the paper's InfoPro* table for CIFAR ResNets; --arch "
                        + spec.getZoo().arch() + " is always split by --k with the memory-balanced strategy");
            }
            return null;
        }
        try {
            return CutPresets.cuts(spec.getDepth(), spec.getK(), spec.isBalanced(), spec.getData().startsWith("stl10"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static TrainingRecipe recipe(ExperimentSpec spec) {
        TrainingRecipe base;
        try {
            base = TrainingRecipe.byName(spec.getRecipe());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--recipe: " + e.getMessage());
        }
        return base.withEpochs(spec.getEpochs()).withBatchSize(spec.getBatch()).withLr(spec.getLr());
    }

    /** How a run is driven: display, checkpoints, resume, divergence handling. */
    @lombok.Value
    @lombok.Builder
    static class Control {
        /** Show progress on stderr: a bar on a terminal, otherwise one line per epoch ({@link ProgressDisplay}). */
        @lombok.Builder.Default
        boolean progress = true;
        /** Checkpoint every N epochs; 0 = never; -1 = every epoch when the run has more than one epoch. */
        @lombok.Builder.Default
        int checkpointEvery = -1;
        /** Checkpoints kept. */
        @lombok.Builder.Default
        int keepCheckpoints = CheckpointManager.DEFAULT_KEEP_LAST;
        /** Continue from the newest valid checkpoint in {@code out/checkpoints}. */
        boolean resume;
        /** What a NaN or infinite loss or gradient does. */
        @lombok.Builder.Default
        OnNonFinite onNonFinite = OnNonFinite.STOP;
        /** Queue depth of pipelined module execution; 0 for sequential. */
        int pipelineDepth;
        /** The command line of the run, kept in checkpoints so that --resume can rebuild it. */
        @lombok.Builder.Default
        List<String> args = List.of();
    }

    /**
     * Trains and evaluates through the library's {@link LocalTrainer}; writes metrics.json, curves.png,
     * local-model.zip and model.zip into {@code out}, and checkpoints into {@code out/checkpoints}.
     */
    static ExperimentResult run(ExperimentSpec spec, Path out, Control control) throws IOException {
        validate(spec);
        ensureWritable(out);
        DatasetSplits data = loadData(spec);
        CheckpointManager checkpoints = new CheckpointManager(out.resolve("checkpoints"), control.getKeepCheckpoints());
        int every = control.getCheckpointEvery() >= 0 ? control.getCheckpointEvery() : spec.getEpochs() > 1 ? 1 : 0;
        try (ImageDataSetIterator train = data.trainIterator(spec.getBatch(), spec.getSeed());
             ImageDataSetIterator test = data.testIterator(spec.getBatch())) {
            ProgressDisplay display = new ProgressDisplay(spec.label(), spec.getEpochs(), train.batchesPerEpoch(),
                    control.isProgress());
            IterationLosses losses = new IterationLosses();
            LocalTrainer.Builder trainer = LocalTrainer.builder(control.isResume() ? null : build(spec, data))
                    .train(train).test(test).epochs(spec.getEpochs()).checkpoints(checkpoints, every)
                    .checkpointMetadata(() -> Map.of(METADATA_ARGS, Json.line(control.getArgs())))
                    .listener(display).listener(losses);
            if (control.isResume()) {
                Checkpoint cp = checkpoints.loadLatest().orElseThrow(() -> new UsageException(
                        "--resume: no checkpoint in " + out.resolve("checkpoints")));
                trainer.resumeFrom(cp);
                System.err.println("infopro: resuming from " + cp.getFile() + " (epoch " + cp.getEpoch() + ")");
            }
            LocalTrainer run = trainer.build();
            LocalModuleGraph local = run.getModel();
            local.setOnNonFinite(control.getOnNonFinite());
            local.setPipelineDepth(control.getPipelineDepth());
            TrainingResult result;
            try {
                result = run.fit();
            } catch (TrainingDivergedException ex) {
                throw new IllegalStateException(ex.getMessage()
                        + "; lower --lr, or pass --on-nan skip-batch to skip such batches", ex);
            } finally {
                display.close();
            }
            return writeOutputs(spec, out, result, local, losses);
        }
    }

    /**
     * Writes what a finished run leaves in {@code out}: metrics.json, curves.png, local-model.zip and model.zip
     * (whichever trainer ran it).
     */
    static ExperimentResult writeOutputs(ExperimentSpec spec, Path out, TrainingResult result, LocalModuleGraph local,
                                         IterationLosses losses) throws IOException {
        ISchedule schedule = schedule(spec);
        List<EpochMetrics> epochs = new ArrayList<>();
        for (EpochResult r : result.getEpochs()) {
            epochs.add(new EpochMetrics(r.getEpoch(), schedule.valueAt(0, r.getEpoch() - 1),
                    r.getMeanModuleScores(), r.getTestAccuracy(), r.getSeconds(), r.getPeakRssBytes(), losses.of(r.getEpoch())));
        }
        ExperimentResult summary = new ExperimentResult(spec.getMethod().cliName, local.numModules(),
                local.getConfig().getCuts(),
                epochs.get(epochs.size() - 1).getTestAccuracy(),
                epochs.stream().mapToLong(EpochMetrics::getPeakRssBytes).max().orElse(-1),
                epochs.stream().mapToDouble(EpochMetrics::getSeconds).average().orElse(0), epochs);
        Json.MAPPER.writeValue(out.resolve("metrics.json").toFile(), summary);
        Charts.trainingCurves(spec.label(), epochs, out.resolve("curves.png"));
        local.save(out.resolve("local-model.zip").toFile());
        ModelProvenance.writeModel(local, out.resolve("model.zip").toFile()); // plain network + how it was trained
        return summary;
    }

    /** Checkpoint metadata: the run's command line. */
    static final String METADATA_ARGS = "args";

    /** Creates {@code out} and proves it writable, with a usage error otherwise. */
    static void ensureWritable(Path out) {
        try {
            Files.createDirectories(out);
            Path probe = Files.createTempFile(out, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new UsageException("output directory " + out + " is not writable (" + e.getMessage()
                    + "): choose another --out");
        }
    }

    /**
     * The learning-rate schedule, set once per epoch. {@code paper}: the recipe's schedule exactly (docs/method.md §3: warm-up,
     * cosine, the last epoch at lr 0). {@code cosine} (the tool's default): cosine annealing evaluated at the start
     * of each epoch, lr_e = 0.5 lr0 (1 + cos(pi (e-1) / E)), so a short run starts at lr0 and never spends an
     * epoch at lr 0. {@code constant}: lr0 throughout.
     */
    static ISchedule schedule(ExperimentSpec spec) {
        String name = spec.getSchedule() == null ? "cosine" : spec.getSchedule();
        switch (name) {
            case "paper":
                return recipe(spec).schedule();
            case "constant":
                return new FixedSchedule(spec.getLr());
            case "cosine":
                return new CosineAnnealingSchedule(spec.getLr(), spec.getEpochs());
            default:
                throw new UsageException("--schedule " + name + " is unknown; use cosine, paper or constant");
        }
    }

    static void validate(ExperimentSpec spec) {
        UsageException.requireAtLeast("--epochs", spec.getEpochs(), 1);
        UsageException.requireAtLeast("--batch", spec.getBatch(), 1);
        UsageException.requireAtLeast("--train-subset", spec.getTrainSubset(), 0);
        UsageException.requireAtLeast("--test-subset", spec.getTestSubset(), 0);
        if (!(spec.getLr() > 0)) {
            throw new UsageException("--lr " + spec.getLr() + " is not a learning rate: use a number above 0");
        }
        if (spec.getLambdas() != null && spec.getLambdas().length != 4) {
            throw new UsageException("--lambdas needs four numbers ixx1,ixy1,ixx2,ixy2 (docs/method.md section 1.4),"
                    + " got " + spec.getLambdas().length);
        }
    }
}

package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.config.OnNonFinite;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code infopro train}: one training run, with metrics, a plot, checkpoints and the trained models in {@code --out}. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a CIFAR ResNet with end-to-end, greedy or InfoPro local learning.")
class TrainCommand implements Callable<Integer> {
    /** The command line of a run, saved in its output directory for --resume. */
    static final String ARGS_FILE = "run-args.json";

    @Mixin
    RunOptions run;

    @Option(names = "--method", defaultValue = "infopro-contrast",
            description = "e2e, greedy, infopro-softmax or infopro-contrast (default ${DEFAULT-VALUE}).")
    String method;

    /** Null when not given: K is then 2, 1 for e2e, or one more than the --cuts. */
    @Option(names = "--k", description = "Number of modules (default 2; 1 for e2e; with --cuts, one more than the cuts).")
    Integer k;

    @Option(names = "--cuts", split = ",", description = "Cut after these vertices (e.g. s1b2,s2b1,s3b0) instead of the presets.")
    List<String> cuts;

    @Option(names = "--balanced", description = "The paper's memory-balanced InfoPro* split (ResNet-110, K = 2..4).")
    boolean balanced;

    @Option(names = "--out", description = "Output directory, e.g. runs/NAME (required unless --resume).")
    Path out;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "Continue the run in RUN_DIR from its newest valid checkpoint (its other options are reused).")
    Path resume;

    @Option(names = "--checkpoint-every", defaultValue = "-1",
            description = "Checkpoint every N epochs (0 = never; default: every epoch when --epochs > 1).")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "2", description = "Checkpoints kept (default ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @Option(names = "--on-nan", defaultValue = "stop",
            description = "On a NaN or infinite loss or gradient: stop (default; the last checkpoint is kept) or skip-batch.")
    String onNan;

    @Option(names = "--pipeline", arity = "0..1", fallbackValue = "2", defaultValue = "0", paramLabel = "DEPTH",
            description = "Train the modules concurrently, each on its own thread, with queues of DEPTH batches"
                    + " between them (default DEPTH 2). Same result as sequential training; more memory.")
    int pipeline;

    @Option(names = "--engine", defaultValue = "dl4j",
            description = "dl4j (ComputationGraph modules, default) or samediff (SameDiff module graphs; CIFAR"
                    + " ResNets only, without --pipeline or --spark).")
    String engine;

    @Mixin
    SparkRunOptions spark;

    @Option(names = "--json", description = "Print the result as one JSON line.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
        if (resume != null) {
            return resumeRun();
        }
        if (out == null) {
            throw new UsageException("train needs --out DIR (or --resume RUN_DIR)");
        }
        List<String> all = commandSpec.commandLine().getParseResult().originalArgs();
        // originalArgs holds the whole command line: keep what follows the subcommand name
        List<String> args = new ArrayList<>(all.subList(all.indexOf(commandSpec.name()) + 1, all.size()));
        Experiment.ensureWritable(out);
        Json.MAPPER.writeValue(out.resolve(ARGS_FILE).toFile(), args);
        return train(args, false);
    }

    /** K from --method, --k and --cuts, which must agree where more than one is given. */
    private int modules(Method m) {
        if (m == Method.E2E) {
            if ((k != null && k != 1) || cuts != null) {
                throw new UsageException("--method e2e trains the network as one module: drop "
                        + (cuts != null ? "--cuts" : "--k " + k) + ", or choose a local method");
            }
            return 1;
        }
        if (cuts != null) {
            if (k != null && k != cuts.size() + 1) {
                throw new UsageException("--k " + k + " and --cuts disagree: " + cuts.size()
                        + (cuts.size() == 1 ? " cut makes" : " cuts make") + " K = " + (cuts.size() + 1)
                        + "; give one of them");
            }
            return cuts.size() + 1;
        }
        return k == null ? 2 : k;
    }

    private int train(List<String> args, boolean resuming) throws Exception {
        Method m = Method.parse(method);
        UsageException.requireAtLeast("--keep-checkpoints", keepCheckpoints, 1);
        if (pipeline < 0) {
            throw new UsageException("--pipeline DEPTH must be >= 1 (or 0 for sequential training)");
        }
        ExperimentSpec spec = run.spec(m, modules(m))
                .toBuilder().cuts(cuts).balanced(balanced).build();
        Experiment.Control control = Experiment.Control.builder().progress(!json).checkpointEvery(checkpointEvery)
                .keepCheckpoints(keepCheckpoints).resume(resuming).onNonFinite(onNonFinite(onNan)).pipelineDepth(pipeline).args(args).build();
        boolean sameDiff = sameDiff();
        if (sameDiff) {
            SameDiffTraining.checkSupported(spec, pipeline, spark.enabled());
            if (control.getOnNonFinite() != OnNonFinite.STOP) {
                // SameDiffLocalModel rejects a non-finite step as a whole; skipping batches is the DL4J trainer's.
                throw new UsageException("--on-nan skip-batch is not supported with --engine samediff");
            }
        }
        ExperimentResult r = sameDiff ? SameDiffTraining.run(spec, out, control)
                : spark.enabled() ? SparkTraining.run(spec, out, control, spark)
                : Experiment.run(spec, out, control);
        if (json) {
            commandSpec.commandLine().getOut().println(Json.line(r));
        } else {
            commandSpec.commandLine().getOut().printf("%s: test accuracy %.4f, %.1f s/epoch, peak memory %.0f MiB%n", spec.label(),
                    r.getTestAccuracy(), r.getSecondsPerEpoch(), r.getPeakBytes() / 1048576.0);
            commandSpec.commandLine().getOut().println("wrote " + out.resolve("metrics.json") + ", " + out.resolve("curves.png") + ", "
                    + (sameDiff
                    ? out.resolve(SameDiffTraining.STATE_FILE) + ", " + out.resolve(SameDiffTraining.MODEL_FILE)
                    : out.resolve("local-model.zip") + ", " + out.resolve("model.zip")));
        }
        return 0;
    }

    private boolean sameDiff() {
        return SameDiffTraining.isSameDiff(engine);
    }

    /** Re-parses the saved command line of the run and continues it from its newest checkpoint. */
    private int resumeRun() throws Exception {
        Path argsFile = resume.resolve(ARGS_FILE);
        if (!Files.isRegularFile(argsFile)) {
            throw new UsageException("--resume " + resume + " is not a run directory of 'infopro train' (no "
                    + ARGS_FILE + ")");
        }
        List<String> saved = new ArrayList<>(Arrays.asList(Json.MAPPER.readValue(argsFile.toFile(), String[].class)));
        TrainCommand again = new TrainCommand();
        CommandLine cl = new CommandLine(again);
        cl.setOut(commandSpec.commandLine().getOut());
        cl.parseArgs(saved.toArray(new String[0]));
        again.out = resume;
        again.json = json;
        return again.train(saved, true);
    }

    static OnNonFinite onNonFinite(String value) {
        switch (value) {
            case "stop":
                return OnNonFinite.STOP;
            case "skip-batch":
                return OnNonFinite.SKIP_BATCH;
            default:
                throw new UsageException("--on-nan " + value + " is unknown; use stop or skip-batch");
        }
    }
}

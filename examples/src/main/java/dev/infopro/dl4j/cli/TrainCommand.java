package dev.infopro.dl4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code infopro train}: one training run, with metrics, a plot and the trained models in {@code --out}. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a CIFAR ResNet with end-to-end, greedy or InfoPro local learning.")
class TrainCommand implements Callable<Integer> {
    @Mixin
    RunOptions run;

    @Option(names = "--method", defaultValue = "infopro-contrast",
            description = "e2e, greedy, infopro-softmax or infopro-contrast (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--k", defaultValue = "2", description = "Number of modules (default ${DEFAULT-VALUE}; 1 for e2e).")
    int k;

    @Option(names = "--cuts", split = ",", description = "Cut after these vertices (e.g. s1b2,s2b1,s3b0) instead of the presets.")
    java.util.List<String> cuts;

    @Option(names = "--balanced", description = "The paper's memory-balanced InfoPro* split (ResNet-110, K = 2..4).")
    boolean balanced;

    @Option(names = "--out", required = true, description = "Output directory, e.g. runs/NAME.")
    Path out;

    @Option(names = "--json", description = "Print the result as one JSON line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Method m = Method.parse(method);
        ExperimentSpec spec = run.spec(m, m == Method.E2E ? 1 : (cuts != null ? cuts.size() + 1 : k))
                .toBuilder().cuts(cuts).balanced(balanced).build();
        ExperimentResult r = Experiment.run(spec, out, !json);
        if (json) {
            System.out.println(Json.line(r));
        } else {
            System.out.printf("%s: test accuracy %.4f, %.1f s/epoch, peak memory %.0f MiB%n", spec.label(),
                    r.getTestAccuracy(), r.getSecondsPerEpoch(), r.getPeakBytes() / 1048576.0);
            System.out.println("wrote " + out.resolve("metrics.json") + ", " + out.resolve("curves.png") + ", "
                    + out.resolve("local-model.zip") + ", " + out.resolve("model.zip"));
        }
        return 0;
    }
}

package dev.infopro.dl4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code infopro demo}: the quick start. Compares end-to-end training, Greedy SL and InfoPro (Contrast) at K = 2
 * and 4 on the embedded Fashion-MNIST subset with a small ResNet, in a few minutes on two cores.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Compare e2e, greedy and infopro-contrast (K = 2, 4) on the embedded Fashion-MNIST subset.")
class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs per run (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--train-subset", defaultValue = "3000", description = "Training images (default ${DEFAULT-VALUE}).")
    int trainSubset;

    @Override
    public Integer call() throws Exception {
        ExperimentSpec base = ExperimentSpec.builder().data("fashion-mnist").depth(14).epochs(epochs).batch(64)
                .lr(0.05).recipe("paper-cifar10").schedule("cosine").trainSubset(trainSubset).testSubset(0).seed(42).method(Method.E2E)
                .k(1).build();
        List<ExperimentSpec> specs = new ArrayList<>();
        specs.add(base);
        for (Method m : new Method[]{Method.GREEDY, Method.INFOPRO_CONTRAST}) {
            for (int k : new int[]{2, 4}) {
                specs.add(base.toBuilder().method(m).k(k).build());
            }
        }
        commandSpec.commandLine().getOut().println("infopro demo: ResNet-14 on " + trainSubset + " Fashion-MNIST training images (embedded subset), "
                + epochs + " epoch(s) per run, 1,000 test images");
        commandSpec.commandLine().getOut().println(CompareCommand.summary(CompareCommand.compare(specs, out, true), out).stripTrailing());
        return 0;
    }
}

package dev.infopro.dl4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code infopro demo}: the quick start, in two parts, each configuration in a fresh JVM. Accuracy and time:
 * end-to-end training, Greedy SL K = 4 and InfoPro (Contrast) K = 4 train a ResNet-20 on the embedded Fashion-MNIST
 * subset for two epochs. Training memory: the same three train the same network for a few steps on batches of the
 * same data, measured as the peak RSS above the JVM's start, which the training runs cannot show (their process RSS is
 * mostly the JVM and the data at this size). The settings were chosen by the seed study in
 * docs/results/demo-seeds.md; the screen says whether this run's orderings hold.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Compare e2e, greedy K=4 and infopro-contrast K=4 on the embedded Fashion-MNIST subset: accuracy"
                + " and time over two epochs, then training memory over a few steps.")
class DemoCommand implements Callable<Integer> {
    static final int K = 4;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--arch", defaultValue = "resnet20",
            description = "Network for accuracy and time (default ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs per run (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--train-subset", defaultValue = "3000", description = "Training images (default ${DEFAULT-VALUE}).")
    int trainSubset;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--memory-arch", defaultValue = "resnet20",
            description = "Network for training memory (default ${DEFAULT-VALUE}).")
    String memoryArch;

    @Option(names = "--memory-batch", defaultValue = "64",
            description = "Batch for training memory (default ${DEFAULT-VALUE}).")
    int memoryBatch;

    @Option(names = "--memory-steps", defaultValue = "3",
            description = "Training steps per memory measurement (default ${DEFAULT-VALUE}).")
    int memorySteps;

    @Override
    public Integer call() throws Exception {
        int depth = Args.resnetDepth(arch);
        Args.resnetDepth(memoryArch); // a usage error before anything runs
        UsageException.requireAtLeast("--epochs", epochs, 1);
        UsageException.requireAtLeast("--train-subset", trainSubset, 1);
        UsageException.requireAtLeast("--memory-batch", memoryBatch, 1);
        UsageException.requireAtLeast("--memory-steps", memorySteps, 1);
        PrintWriter screen = commandSpec.commandLine().getOut();
        ExperimentSpec base = ExperimentSpec.builder().data("fashion-mnist").depth(depth)
                .epochs(epochs).batch(64).lr(0.05).recipe("paper-cifar10").schedule("cosine").trainSubset(trainSubset)
                .testSubset(0).seed(seed).method(Method.E2E).k(1).build();
        List<ExperimentSpec> specs = List.of(base, base.toBuilder().method(Method.GREEDY).k(K).build(),
                base.toBuilder().method(Method.INFOPRO_CONTRAST).k(K).build());
        String accuracySetting = String.format(Locale.ROOT, "%s on %,d Fashion-MNIST images, %d epoch%s, batch 64",
                label(arch), trainSubset, epochs, epochs == 1 ? "" : "s");
        String memorySetting = String.format(Locale.ROOT, "%s on Fashion-MNIST, batch %d, %d training steps",
                label(memoryArch), memoryBatch, memorySteps);
        screen.println("infopro demo, part 1 of 2: accuracy and time, " + accuracySetting + ", 1,000 test images");
        screen.flush();
        List<ExperimentResult> runs = CompareCommand.run(specs, out, true);

        screen.println("infopro demo, part 2 of 2: training memory, " + memorySetting);
        screen.flush();
        List<Map<String, Object>> memory = new ArrayList<>();
        for (ExperimentSpec s : specs) {
            System.err.printf("[memory] %s%n", s.label());
            MemoryCommand m = MemoryCommand.balanced(memoryArch, "1x28x28", memoryBatch, memorySteps,
                    s.getMethod() == Method.E2E ? Method.INFOPRO_CONTRAST : s.getMethod(), MemoryCommand.FASHION_MNIST);
            Map<String, Object> row = m.measure(s.getK());
            if (Boolean.TRUE.equals(row.get("oom"))) {
                throw new IllegalStateException("the memory measurement of " + s.label() + " ran out of memory: "
                        + row.get("error"));
            }
            memory.add(row);
        }
        writeResults(runs, memory, accuracySetting, memorySetting);
        screen.println(summary(runs, memory, accuracySetting, memorySetting).stripTrailing());
        return 0;
    }

    private void writeResults(List<ExperimentResult> runs, List<Map<String, Object>> memory, String accuracySetting,
                              String memorySetting) throws Exception {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("accuracy_setting", accuracySetting);
        all.put("memory_setting", memorySetting);
        all.put("runs", runs);
        all.put("memory", memory);
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve("results.json").toFile(), all);
        Files.writeString(out.resolve("results.md"), table(runs, memory, accuracySetting, memorySetting));
        Charts.accuracy(runs, accuracySetting, out.resolve(CompareCommand.ACCURACY_PNG));
        List<String> labels = new ArrayList<>();
        List<Double> mib = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            labels.add(Charts.label(runs.get(i)));
            mib.add((double) Math.round(peak(memory.get(i)) / 1048576.0));
        }
        Charts.bars("Training memory: " + memorySetting, "MiB (peak RSS above the JVM's start)", labels, mib,
                out.resolve(CompareCommand.MEMORY_PNG));
    }

    private static long peak(Map<String, Object> row) {
        return ((Number) row.get("measured_peak_bytes")).longValue();
    }

    /** {@code ResNet-14} for {@code resnet14}. */
    private static String label(String arch) {
        return "ResNet-" + Args.resnetDepth(arch);
    }

    /**
     * The screen's table: test accuracy and seconds per epoch from part 1, training memory (and its ratio to
     * end-to-end) from part 2, then whether the two orderings the method is about held in this run, and where the
     * charts are.
     */
    String summary(List<ExperimentResult> runs, List<Map<String, Object>> memory, String accuracySetting,
                   String memorySetting) {
        double e2e = peak(memory.get(0));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n%-22s %13s %10s %16s %7s%n", "method", "test accuracy", "s / epoch",
                "training memory", "vs e2e"));
        for (int i = 0; i < runs.size(); i++) {
            ExperimentResult r = runs.get(i);
            sb.append(String.format(Locale.ROOT, "%-22s %11.1f %% %10.1f %12.0f MiB %6.2fx%n", Charts.label(r),
                    100 * r.getTestAccuracy(), r.getSecondsPerEpoch(), peak(memory.get(i)) / 1048576.0,
                    peak(memory.get(i)) / e2e));
        }
        sb.append(String.format(Locale.ROOT, "accuracy and time: %s%ntraining memory:   %s (peak RSS above the JVM's"
                + " start)%n%n", accuracySetting, memorySetting));
        ExperimentResult greedy = runs.get(1);
        ExperimentResult infopro = runs.get(2);
        boolean accuracyHolds = infopro.getTestAccuracy() > greedy.getTestAccuracy();
        boolean memoryHolds = peak(memory.get(2)) < e2e;
        sb.append(String.format(Locale.ROOT, "InfoPro K=%d above Greedy SL K=%d in test accuracy: %s (%.1f %% vs %.1f %%)%n",
                K, K, accuracyHolds ? "yes" : "NO, not in this run", 100 * infopro.getTestAccuracy(),
                100 * greedy.getTestAccuracy()));
        sb.append(String.format(Locale.ROOT, "InfoPro K=%d below end-to-end in training memory: %s (%.2fx)%n", K,
                memoryHolds ? "yes" : "NO, not in this run", peak(memory.get(2)) / e2e));
        sb.append(String.format(Locale.ROOT, "InfoPro K=%d time per epoch: %.2fx end-to-end's%n", K,
                infopro.getSecondsPerEpoch() / runs.get(0).getSecondsPerEpoch()));
        sb.append(String.format(Locale.ROOT, "%ncharts:   %s (test accuracy after each epoch)%n"
                        + "          %s (training memory)%n"
                        + "per run:  %s (losses per iteration and accuracy: curves.png; metrics.json; models)%n"
                        + "tables:   %s, %s%n",
                out.resolve(CompareCommand.ACCURACY_PNG), out.resolve(CompareCommand.MEMORY_PNG),
                out.resolve("<method>[-k<K>]"), out.resolve("results.md"), out.resolve("results.json")));
        return sb.toString();
    }

    /** The Markdown results table. */
    static String table(List<ExperimentResult> runs, List<Map<String, Object>> memory, String accuracySetting,
                        String memorySetting) {
        double e2e = peak(memory.get(0));
        StringBuilder sb = new StringBuilder();
        sb.append("| method | K | test accuracy | seconds / epoch | training memory (MiB) | vs e2e |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (int i = 0; i < runs.size(); i++) {
            ExperimentResult r = runs.get(i);
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.1f | %.0f | %.2f |%n", r.getMethod(), r.getK(),
                    r.getTestAccuracy(), r.getSecondsPerEpoch(), peak(memory.get(i)) / 1048576.0,
                    peak(memory.get(i)) / e2e));
        }
        sb.append(String.format(Locale.ROOT, "%nAccuracy and time: %s. Training memory: %s (peak RSS above the JVM's"
                + " start).%n", accuracySetting, memorySetting));
        return sb.toString();
    }
}

package dev.infopro.dl4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.infopro.dl4j.bench.ForkedJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code infopro compare}: several methods and K on the same data and seed, as a table and a chart. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare methods and module counts on the same data and seed.")
class CompareCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Mixin
    RunOptions run;

    @Option(names = "--methods", split = ",", defaultValue = "e2e,greedy,infopro-contrast",
            description = "Methods to compare (default ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--ks", split = ",", defaultValue = "2,4",
            description = "Module counts for the local methods (default ${DEFAULT-VALUE}).")
    List<Integer> ks;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--json", description = "Print results.json to stdout.")
    boolean json;

    @Option(names = "--engine", defaultValue = "dl4j",
            description = "dl4j (ComputationGraph modules, default) or samediff (SameDiff module graphs; CIFAR ResNets"
                    + " only), for every configuration; see train --engine.")
    String engine;

    @Override
    public Integer call() throws Exception {
        SameDiffTraining.isSameDiff(engine); // usage errors before any run starts
        requireDistinct("--methods", methods);
        requireDistinct("--ks", ks);
        for (int k : ks) {
            UsageException.requireAtLeast("--ks", k, 2); // e2e is the K = 1 run
        }
        List<ExperimentSpec> specs = new ArrayList<>();
        for (String name : methods) {
            Method m = Method.parse(name);
            if (m == Method.E2E) {
                specs.add(run.spec(m, 1).toBuilder().engine(engine).build());
            } else {
                for (int k : ks) {
                    specs.add(run.spec(m, k).toBuilder().engine(engine).build());
                }
            }
        }
        List<ExperimentResult> rows = compare(specs, out, !json);
        if (json) {
            commandSpec.commandLine().getOut().println(Json.line(rows));
        } else {
            commandSpec.commandLine().getOut().println(summary(rows, out).stripTrailing());
        }
        return 0;
    }

    // each configuration is one run, one row and one chart series, so a repeated value would be trained again and
    // then refused by the charts
    private static void requireDistinct(String option, List<?> values) {
        if (new java.util.HashSet<>(values).size() != values.size()) {
            throw new UsageException(option + " " + values.stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(",")) + " lists a value twice: list each once");
        }
    }

    /**
     * Runs each spec into its own sub-directory, each in a fresh JVM (so that one run's memory cannot inflate the
     * next one's peak), and writes results.json, results.md, accuracy.png and memory.png.
     */
    static List<ExperimentResult> compare(List<ExperimentSpec> specs, Path out, boolean progress) throws Exception {
        List<ExperimentResult> rows = run(specs, out, progress);
        Json.MAPPER.writeValue(out.resolve("results.json").toFile(), rows);
        Files.writeString(out.resolve("results.md"), table(rows));
        Charts.comparison(rows, setting(specs.get(0)), out.resolve(ACCURACY_PNG), out.resolve(MEMORY_PNG));
        return rows;
    }

    /**
     * Runs each spec into its own sub-directory ({@code <method>[-k<K>]}), each in a fresh JVM, and returns their
     * metrics.
     */
    static List<ExperimentResult> run(List<ExperimentSpec> specs, Path out, boolean progress) throws Exception {
        Experiment.ensureWritable(out);
        List<ExperimentResult> rows = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            ExperimentSpec s = specs.get(i);
            String dir = s.getMethod().cliName + (s.getMethod() == Method.E2E ? "" : "-k" + s.getK());
            List<String> args = new ArrayList<>(s.toTrainArgs());
            args.addAll(List.of("--out", out.resolve(dir).toString(), "--checkpoint-every", "0"));
            if (!progress) {
                args.add("--json");
            }
            System.err.printf("[%d/%d] %s%n", i + 1, specs.size(), s.label());
            ForkedJvm.Result r = ForkedJvm.run(InfoproCli.class.getName(), List.of(), args, 24 * 3600, progress);
            if (r.getExitCode() != 0) {
                throw new IllegalStateException(s.label() + " failed (exit " + r.getExitCode() + "): "
                        + (progress ? "see its messages above" : r.getStderr().strip()));
            }
            rows.add(Json.MAPPER.readValue(out.resolve(dir).resolve("metrics.json").toFile(), ExperimentResult.class));
        }
        return rows;
    }

    /** Chart of every configuration's test accuracy after each epoch. */
    static final String ACCURACY_PNG = "accuracy.png";
    /** Bar chart of every configuration's peak memory. */
    static final String MEMORY_PNG = "memory.png";

    /** What the runs were measured on, for chart titles: network, data and batch. */
    static String setting(ExperimentSpec s) {
        String images = s.getTrainSubset() > 0 ? s.getTrainSubset() + " images of " : "";
        return String.format(Locale.ROOT, "ResNet-%d on %s%s, batch %d", s.getDepth(), images,
                s.getData().replaceFirst(":.*", ""), s.getBatch());
    }

    /**
     * The results as the screen shows them: an aligned table (accuracy in %, peak memory in MiB and relative to
     * end-to-end training when it ran, seconds per epoch), then where the charts and the per-run files are.
     */
    static String summary(List<ExperimentResult> rows, Path out) {
        double e2e = rows.stream().filter(r -> r.getK() == 1).mapToDouble(ExperimentResult::getPeakBytes)
                .findFirst().orElse(0);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n%-22s %13s %15s%s %10s%n", "method", "test accuracy",
                "peak memory", e2e > 0 ? String.format(Locale.ROOT, " %7s", "vs e2e") : "", "s / epoch"));
        for (ExperimentResult r : rows) {
            sb.append(String.format(Locale.ROOT, "%-22s %11.1f %% %11.0f MiB%s %10.1f%n", Charts.label(r),
                    100 * r.getTestAccuracy(), r.getPeakBytes() / 1048576.0,
                    e2e > 0 ? String.format(Locale.ROOT, " %6.2fx", r.getPeakBytes() / e2e) : "",
                    r.getSecondsPerEpoch()));
        }
        sb.append(String.format(Locale.ROOT, "%ncharts:   %s (test accuracy after each epoch)%n"
                        + "          %s (peak memory)%n"
                        + "per run:  %s (losses per iteration and accuracy: curves.png; metrics.json; models)%n"
                        + "tables:   %s, %s%n",
                out.resolve(ACCURACY_PNG), out.resolve(MEMORY_PNG), out.resolve("<method>[-k<K>]"),
                out.resolve("results.md"), out.resolve("results.json")));
        return sb.toString();
    }

    /** The Markdown results table. */
    static String table(List<ExperimentResult> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| method | K | test accuracy | peak memory (MiB, RSS) | seconds / epoch |\n");
        sb.append("|---|---|---|---|---|\n");
        for (ExperimentResult r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.0f | %.1f |%n", r.getMethod(), r.getK(),
                    r.getTestAccuracy(), r.getPeakBytes() / 1048576.0, r.getSecondsPerEpoch()));
        }
        return sb.toString();
    }
}

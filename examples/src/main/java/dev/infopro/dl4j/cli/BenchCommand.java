package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.backend.NativeHeap;
import dev.infopro.dl4j.backend.OneDnnHelpers;
import dev.infopro.dl4j.bench.MemoryBenchmark;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.memory.ProcessMemory;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** {@code infopro bench ...}: benchmarks (figures for docs/, never timed tests). */
@Command(name = "bench", description = "Benchmarks.", subcommands = {BenchCommand.Step.class, PipelineBenchCommand.class})
public class BenchCommand {

    /**
     * {@code infopro bench step}: milliseconds per training step of a CIFAR ResNet, end to end or as K local modules,
     * built by {@link BenchNetworks} (the same network, optimizer and heads as {@code infopro memory}) and trained
     * through {@code LocalModuleGraph.fit}, so both methods are timed the same way.
     */
    @Command(name = "step", mixinStandardHelpOptions = true,
            description = "Median time of one training step (end to end, or K local modules) of a CIFAR ResNet on"
                    + " random data, after warm-up.")
    static class Step implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec commandSpec;

        @Option(names = "--arch", defaultValue = "resnet20", description = "resnetN, N = 6n+2 (default ${DEFAULT-VALUE}).")
        String arch;
        @Option(names = "--batch", defaultValue = "128", description = "Mini-batch size (default ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--input", defaultValue = "3x32x32", description = "Input CxHxW (default ${DEFAULT-VALUE}).")
        String input;
        @Option(names = "--steps", defaultValue = "5", description = "Measured steps (default ${DEFAULT-VALUE}).")
        int steps;
        @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured warm-up steps (default "
                + "${DEFAULT-VALUE}); the JIT needs dozens, more on shallow networks: jit_compile_ms in the output "
                + "shows whether it was still compiling.")
        int warmup;
        @Option(names = "--method", defaultValue = "e2e", description = "e2e, greedy, infopro-softmax or"
                + " infopro-contrast (default ${DEFAULT-VALUE}).")
        String method;
        @Option(names = "--k", defaultValue = "1", description = "Modules; the paper's preset cuts (default ${DEFAULT-VALUE}).")
        int k;
        @Option(names = "--no-onednn", description = "Use DL4J's stock Java path (oneDNN layer helpers off).")
        boolean noOneDnn;
        @Option(names = "--engine", defaultValue = "dl4j", description = "dl4j (ComputationGraph modules) or samediff"
                + " (the same ResNet as SameDiff module graphs) (default ${DEFAULT-VALUE}).")
        String engine;
        @Option(names = "--json", description = "Print one JSON line.")
        boolean json;

        @Override
        public Integer call() {
            if (noOneDnn) {
                // must happen before ND4J initialises: our activation never overrides an explicit value
                System.setProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY, "true");
            }
            int depth = Args.resnetDepth(arch);
            long[] chw = Args.chw(input);
            UsageException.requireAtLeast("--batch", batch, 1);
            UsageException.requireAtLeast("--steps", steps, 1);
            UsageException.requireAtLeast("--warmup", warmup, 0);
            Method m = Method.parse(method);
            if (k < 1 || (k > 1) == (m == Method.E2E)) {
                throw new UsageException("--method e2e needs --k 1 and a local method --k 2 or more, got --method "
                        + method + " --k " + k);
            }
            CifarResNet net = CifarResNet.builder().depth(depth).channels(chw[0]).height(chw[1]).width(chw[2])
                    .numClasses(10).build();
            DataSet ds = net.syntheticBatch(batch, 1);
            List<String> cuts = MemoryCommand.cutsFor(depth, k, false);
            // One training step on the batch, returning the module losses.
            Supplier<double[]> step;
            if (SameDiffTraining.isSameDiff(engine)) {
                SameDiffLocalModel sd = BenchNetworks.buildSameDiff(net, k, m, cuts, null);
                step = () -> sd.fit(ds);
            } else {
                LocalModuleGraph local = BenchNetworks.build(net.configuration(),
                        InputType.convolutional(chw[1], chw[2], chw[0]), k, m, cuts, batch, true, null);
                step = () -> local.fit(ds);
            }
            ProcessMemory.resetPeak();
            for (int i = 0; i < warmup; i++) {
                step.get();
            }
            double[] ms = new double[steps];
            double[] scores = null;
            long compiledBefore = jitCompileMillis();
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                scores = step.get();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            long compiledDuring = compiledBefore < 0 ? -1 : jitCompileMillis() - compiledBefore;
            double median = MemoryBenchmark.median(ms);
            double min = Arrays.stream(ms).min().orElse(Double.NaN);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("arch", "resnet" + depth);
            out.put("batch", batch);
            out.put("input", input);
            out.put("engine", engine);
            out.put("method", m.cliName);
            out.put("k", k);
            out.put("cuts", cuts);
            out.put("median_step_ms", tenths(median));
            out.put("min_step_ms", tenths(min));
            // every timed step in order: a median far above the minimum is jitter, and its pattern tells its cause
            out.put("step_ms", Arrays.stream(ms).map(Step::tenths).toArray());
            out.put("steps", steps);
            out.put("warmup_steps", warmup);
            // the JIT compiler's time during the timed steps: well above zero means the warm-up was too short and
            // the times include code that is still being compiled (docs/benchmarks.md, "Warm-up")
            out.put("jit_compile_ms", compiledDuring);
            out.put("backend", Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "?"));
            out.put("native_build", System.getProperty("org.bytedeco.javacpp.platform.extension", ""));
            out.put("onednn_helpers", OneDnnHelpers.active());
            out.put("allocator", NativeHeap.allocator().name().toLowerCase(Locale.ROOT));
            out.put("threads", Runtime.getRuntime().availableProcessors());
            out.put("peak_rss_mib", ProcessMemory.peakRssBytes() >> 20);
            out.put("final_scores", scores);
            java.io.PrintWriter screen = commandSpec.commandLine().getOut();
            if (json) {
                screen.println(Json.line(out));
            } else {
                out.forEach((k, v) -> screen.printf("%-16s %s%n", k, v instanceof double[]
                        ? Arrays.toString((double[]) v) : v));
            }
            screen.flush();
            return 0;
        }

        // the JIT compiler threads' time so far, in ms; -1 where the JVM does not count it
        private static long jitCompileMillis() {
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
        }

        // milliseconds to a tenth, as printed
        private static double tenths(double ms) {
            return Math.round(ms * 10) / 10.0;
        }
    }
}

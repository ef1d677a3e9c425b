package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.backend.NativeThreads;
import dev.infopro.dl4j.bench.ForkedJvm;
import dev.infopro.dl4j.bench.MemoryBenchmark;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.memory.ProcessMemory;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code infopro bench pipeline}: throughput of sequential against pipelined module execution, InfoPro (Contrast) on a
 * CIFAR ResNet with random data, each configuration in a fresh JVM (so one cannot inflate the next one's peak
 * memory). Three runs per K: sequential with ND4J's default threads per op (all cores), sequential with the threads
 * per op a pipeline worker gets (cores / K), and pipelined; the second separates the gain of overlapping modules
 * from that of the thread split. It also reports each module's step time, and the throughput that K devices would
 * give (the slowest module sets it) against one device (the sum of the modules).
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Images per second of sequential vs pipelined module execution (InfoPro Contrast, random data).")
class PipelineBenchCommand implements Callable<Integer> {
    @Option(names = "--arch", defaultValue = "resnet32", description = "resnetN, N = 6n+2 (default ${DEFAULT-VALUE}).")
    String arch;
    @Option(names = "--input", defaultValue = "3x32x32", description = "Input CxHxW (default ${DEFAULT-VALUE}).")
    String input;
    @Option(names = "--batch", defaultValue = "128", description = "Mini-batch size (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--k", split = ",", defaultValue = "2,4", description = "Numbers of modules (default ${DEFAULT-VALUE}).")
    List<Integer> ks;
    @Option(names = "--steps", defaultValue = "8", description = "Measured batches per run (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured warm-up batches (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--depth", defaultValue = "2", description = "Pipeline queue depth (default ${DEFAULT-VALUE}).")
    int depth;
    @Option(names = "--split", defaultValue = "balanced-time",
            description = "How to cut: balanced-time or balanced-memory (default ${DEFAULT-VALUE}).")
    String split;
    @Option(names = "--json", description = "Print one JSON line per run.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int d = Args.resnetDepth(arch);
        long[] chw = Args.chw(input);
        strategy(split);
        UsageException.requireAtLeast("--batch", batch, 1);
        UsageException.requireAtLeast("--steps", steps, 1);
        UsageException.requireAtLeast("--warmup", warmup, 0);
        UsageException.requireAtLeast("--depth", depth, 1);
        for (int k : ks) {
            UsageException.requireAtLeast("--k", k, 2);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        int cores = Runtime.getRuntime().availableProcessors();
        for (int k : ks) {
            Map<String, Object> seq = run(d, chw, k, 0, 0);
            Map<String, Object> split = run(d, chw, k, 0, Math.max(1, cores / k));
            Map<String, Object> pipe = run(d, chw, k, depth, 0);
            double s = ((Number) seq.get("images_per_second")).doubleValue();
            double s1 = ((Number) split.get("images_per_second")).doubleValue();
            double p = ((Number) pipe.get("images_per_second")).doubleValue();
            split.put("speedup", round(s1 / s, 3));
            pipe.put("speedup", round(p / s, 3));
            pipe.put("speedup_vs_same_threads", round(p / s1, 3));
            pipe.put("memory_ratio", round(((Number) pipe.get("peak_rss_bytes")).doubleValue()
                    / ((Number) seq.get("peak_rss_bytes")).doubleValue(), 3));
            rows.add(seq);
            rows.add(split);
            rows.add(pipe);
        }
        for (Map<String, Object> r : rows) {
            if (json) {
                System.out.println(Json.line(r));
            } else {
                System.out.printf(Locale.ROOT, "K=%s %-10s threads/op %-7s %7.1f img/s  peak %5.0f MiB  module ms %s"
                                + "  K-device bound %sx%s%n", r.get("k"), r.get("mode"), r.get("threads_per_op"),
                        ((Number) r.get("images_per_second")).doubleValue(),
                        ((Number) r.get("peak_rss_bytes")).doubleValue() / 1048576.0, r.get("module_ms"),
                        r.get("k_device_speedup_bound"), r.containsKey("speedup") ? "  speedup " + r.get("speedup")
                                + (r.containsKey("speedup_vs_same_threads") ? " (" + r.get("speedup_vs_same_threads")
                                + " vs same threads/op), memory x" + r.get("memory_ratio") : "") : "");
            }
        }
        return 0;
    }

    private Map<String, Object> run(int d, long[] chw, int k, int pipelineDepth, int threads) throws Exception {
        List<String> args = List.of(String.valueOf(d), String.valueOf(chw[0]), String.valueOf(chw[1]),
                String.valueOf(chw[2]), String.valueOf(batch), String.valueOf(k), String.valueOf(steps),
                String.valueOf(warmup), String.valueOf(pipelineDepth), split, String.valueOf(threads));
        ForkedJvm.Result r = ForkedJvm.run(PipelineBenchCommand.class.getName(),
                List.of(), args, 3600);
        String line = ForkedJvm.lastJsonLine(r.getStdout());
        if (r.getExitCode() != 0 || line == null) {
            String[] err = r.getStderr().strip().split("\n");
            throw new IllegalStateException("run K=" + k + " depth " + pipelineDepth + " failed (exit "
                    + r.getExitCode() + "): " + err[err.length - 1]);
        }
        JsonNode n = Json.MAPPER.readTree(line);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = Json.MAPPER.convertValue(n, LinkedHashMap.class);
        return m;
    }

    static SplitStrategy strategy(String name) {
        switch (name) {
            case "balanced-time":
                return SplitStrategy.BALANCED_TIME;
            case "balanced-memory":
                return SplitStrategy.BALANCED_MEMORY;
            default:
                throw new UsageException("--split " + name + " is unknown; use balanced-time or balanced-memory");
        }
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /**
     * Child JVM: depth C H W batch K steps warmup pipelineDepth split threadsPerOp (0: ND4J's default). Prints one
     * JSON line.
     */
    public static void main(String[] a) {
        InfoproCli.selectNativeBuild();
        try {
            System.out.println(Json.line(measure(a)));
            System.exit(0);
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static Map<String, Object> measure(String[] a) {
        int d = Integer.parseInt(a[0]);
        int c = Integer.parseInt(a[1]);
        int h = Integer.parseInt(a[2]);
        int w = Integer.parseInt(a[3]);
        int batch = Integer.parseInt(a[4]);
        int k = Integer.parseInt(a[5]);
        int steps = Integer.parseInt(a[6]);
        int warmup = Integer.parseInt(a[7]);
        int pipelineDepth = Integer.parseInt(a[8]);
        int threads = Integer.parseInt(a[10]);
        if (threads > 0) {
            Nd4j.getEnvironment().setMaxThreads(threads);
            Nd4j.getEnvironment().setMaxMasterThreads(threads);
            NativeThreads.limitCurrentThread(threads);
        }
        CifarResNet arch = CifarResNet.builder().depth(d).channels(c).height(h).width(w).numClasses(10).build();
        LocalModuleGraph m = LocalModuleGraph.builder(arch.init()).inputTypes(InputType.convolutional(h, w, c))
                .method(LocalLearning.infoProContrast()).lambdas(LambdaSchedule.referenceDefault(k))
                .modules(k, strategy(a[9])).updater(new TorchSgd(0.01)).weightDecay(1e-4)
                .pipeline(pipelineDepth).build();
        List<DataSet> warm = new ArrayList<>();
        for (int i = 0; i < Math.max(1, warmup); i++) {
            warm.add(arch.syntheticBatch(batch, i));
        }
        List<DataSet> data = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            data.add(arch.syntheticBatch(batch, 1000 + i));
        }
        m.fit(new ListDataSetIterator<>(warm, 1)); // sizes every module's workspaces, on the threads that will run
        List<double[]> seconds = new ArrayList<>();
        m.addLocalListener((model, epoch, iteration, scores) -> seconds.add(model.lastModuleSeconds()));
        ProcessMemory.resetPeak();
        long t0 = System.nanoTime();
        m.fit(new ListDataSetIterator<>(data, 1));
        double wall = (System.nanoTime() - t0) / 1e9;
        double[] moduleMs = new double[k];
        for (int j = 0; j < k; j++) {
            double[] v = new double[seconds.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = seconds.get(i)[j] * 1000;
            }
            moduleMs[j] = round(MemoryBenchmark.median(v), 1);
        }
        double sum = 0;
        double max = 0;
        for (double v : moduleMs) {
            sum += v;
            max = Math.max(max, v);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("arch", "resnet" + d);
        out.put("input", c + "x" + h + "x" + w);
        out.put("batch", batch);
        out.put("k", k);
        out.put("mode", pipelineDepth > 0 ? "pipelined" : "sequential");
        out.put("pipeline_depth", pipelineDepth);
        out.put("threads_per_op", pipelineDepth > 0 ? "cores/K" : threads > 0 ? String.valueOf(threads) : "default");
        out.put("split", a[9]);
        out.put("cuts", m.getConfig().getCuts());
        out.put("steps", steps);
        out.put("images_per_second", round(steps * batch / wall, 2));
        out.put("module_ms", moduleMs);
        out.put("k_device_speedup_bound", round(sum / max, 3));
        out.put("peak_rss_bytes", ProcessMemory.peakRssBytes());
        out.put("cores", Runtime.getRuntime().availableProcessors());
        return out;
    }
}

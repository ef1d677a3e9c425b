package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.backend.NativeHeap;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.ModuleOutOfMemoryException;
import dev.infopro.dl4j.bench.ForkedJvm;
import dev.infopro.dl4j.bench.MemoryBenchmark;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.models.CutPresets;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.shade.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code infopro memory}: measured and estimated training memory of a CIFAR ResNet (or a model-zoo network, {@code
 * --arch zoo:NAME}) trained end to end (K = 1) and
 * as K local modules, each configuration in a fresh child JVM; or, with {@code --max-batch}, the largest batch that
 * trains under an off-heap limit. Local modules carry the InfoPro (Contrast) heads by default, or the greedy GAP +
 * softmax classifier (config 0c1f) with {@code --method greedy}. With {@code --engine samediff} the same CIFAR ResNet
 * with the preset cuts is trained as SameDiff module graphs ({@link BenchNetworks#buildSameDiff}); its rows have the
 * same measured peak, and no estimate (the estimator models DL4J's layers), so {@code estimated_bytes} is null.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Peak training memory (measured and estimated) and step time for K = 1 (end to end) and K local"
                + " modules, each in a fresh JVM; or --max-batch under an off-heap --limit.")
public class MemoryCommand implements Callable<Integer> {
    static final int EXIT_OOM = 3;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = "--arch", defaultValue = "resnet110", description = "resnetN, N = 6n+2, or zoo:NAME (a model-zoo"
            + " network with random weights, always the memory-balanced split of K) (default ${DEFAULT-VALUE}).")
    String arch;
    @Option(names = "--input", defaultValue = "3x32x32", description = "Input CxHxW (default ${DEFAULT-VALUE}).")
    String input;
    @Option(names = "--batch", defaultValue = "128", description = "Mini-batch size (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--k", defaultValue = "1,2,4", split = ",", description = "Numbers of modules (default ${DEFAULT-VALUE}).")
    int[] ks;
    @Option(names = "--balanced", description = "Memory-balanced split (InfoPro*, BALANCED_MEMORY) instead of the preset cuts.")
    boolean balanced;
    @Option(names = "--steps", defaultValue = "3", description = "Training steps per configuration, also per --max-batch probe: the first step sizes the"
            + " workspaces, later ones show the steady state (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--method", defaultValue = "infopro-contrast",
            description = "Local method for K > 1: infopro-contrast (decoder + projection head on every local module, "
                    + "lambdas 5/1) or greedy (0c1f classifier). Default ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--data", defaultValue = SYNTHETIC, description = "Training batch: " + SYNTHETIC + " (random images"
            + " in [0, 1], any --input) or " + FASHION_MNIST + " (the first images of the embedded Fashion-MNIST subset,"
            + " normalised as for training; --input 1x28x28). Default ${DEFAULT-VALUE}.")
    String data;

    static final String SYNTHETIC = "synthetic";
    static final String FASHION_MNIST = "fashion-mnist";

    @Option(names = "--no-trim", description = "Keep freed native memory in the C allocator between modules instead of"
            + " returning it to the OS (LocalModuleGraph.setReleaseNativeMemory(false)), to see what that release saves.")
    boolean noTrim;

    @Option(names = "--chart", paramLabel = "PNG", description = "Also write the figures as a PNG bar chart to this file.")
    java.nio.file.Path chart;

    @Option(names = "--json", description = "One JSON line per K.")
    boolean json;
    @Option(names = "--max-batch", description = "Find the largest batch that trains under --limit, for each K.")
    boolean maxBatch;
    @Option(names = "--limit", defaultValue = "2g", description = "Training-memory limit for --max-batch: peak RSS above the"
            + " JVM's start (off-heap, the heap is pre-touched), also passed to JavaCPP; e.g. 2g, 512m (default ${DEFAULT-VALUE}).")
    String limit;
    @Option(names = "--engine", defaultValue = ENGINE_DL4J, description = "dl4j (ComputationGraph modules) or samediff"
            + " (the same CIFAR ResNet with the preset cuts as SameDiff module graphs; no estimate, no --balanced,"
            + " zoo:NAME or --no-trim) (default ${DEFAULT-VALUE}).")
    String engine;

    static final String ENGINE_DL4J = "dl4j";

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds per child JVM (default ${DEFAULT-VALUE}).")
    int timeout;

    @Override
    public Integer call() throws Exception {
        if (SameDiffTraining.isSameDiff(engine)) {
            checkSameDiffSupported();
        }
        ZooNetworks zoo = ZooNetworks.isZoo(arch) ? ZooNetworks.byArch(arch) : null;
        int depth = zoo != null ? 0 : Args.resnetDepth(arch);
        long[] chw = Args.chw(input);
        if (zoo != null) {
            zoo.checkInput(chw[0], chw[1], chw[2]);
        }
        String net = zoo != null ? zoo.arch() : "resnet" + depth;
        if (!SYNTHETIC.equals(data) && !FASHION_MNIST.equals(data)) {
            throw new UsageException("--data " + data + " is not a memory benchmark batch: use " + SYNTHETIC + " or "
                    + FASHION_MNIST);
        }
        if (FASHION_MNIST.equals(data) && (chw[0] != 1 || chw[1] != 28 || chw[2] != 28)) {
            throw new UsageException("--data " + FASHION_MNIST + " has 1x28x28 images: use --input 1x28x28, not --input "
                    + input);
        }
        UsageException.requireAtLeast("--batch", batch, 1);
        UsageException.requireAtLeast("--steps", steps, 1);
        if (ks == null || ks.length == 0) {
            throw new UsageException("--k must list at least one K, e.g. --k 1,2,4");
        }
        for (int k : ks) {
            UsageException.requireAtLeast("--k", k, 1);
            if ((balanced || zoo != null) && k > 1) {
                continue;
            }
            cutsFor(depth, k, false); // usage errors before any child starts
        }
        long limitBytes = maxBatch ? parseBytes(limit) : 0;
        Long e2e = null;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int k : ks) {
            Map<String, Object> row = maxBatch ? maxBatch(net, chw, k, limitBytes) : measure(net, chw, k, batch, steps, 0);
            if (!maxBatch && Boolean.TRUE.equals(row.get("oom"))) { // a row without a peak to print or chart
                throw new IllegalStateException("K=" + k + " batch " + batch + " ran out of memory: " + row.get("error"));
            }
            long m = ((Number) row.get(maxBatch ? "max_batch" : "measured_peak_bytes")).longValue();
            if (k == 1) {
                e2e = m;
            }
            row.put("ratio_to_e2e", e2e == null || e2e == 0 ? null : Math.round(1000.0 * m / e2e) / 1000.0);
            rows.add(row);
            // the command's own writer (stdout from the shell), so callers and tests that run the tool in-process
            // get the rows; each row is flushed as soon as its child is done
            java.io.PrintWriter screen = commandSpec.commandLine().getOut();
            screen.println(json ? Json.line(row) : text(row));
            screen.flush();
        }
        if (chart != null) {
            String what = maxBatch ? "Largest training batch under " + limit : "Training memory, batch " + batch;
            Charts.memory(arch + " " + input + ": " + what + (balanced ? " (balanced)" : ""), rows, chart);
            System.err.println("chart: " + chart);
        }
        return 0;
    }

    // What the SameDiff engine cannot measure, with what to use instead.
    private void checkSameDiffSupported() {
        if (ZooNetworks.isZoo(arch)) {
            throw new UsageException("--engine samediff measures the CIFAR ResNets (--arch resnetN); " + arch
                    + " has no SameDiff form: use --engine dl4j");
        }
        if (balanced) {
            throw new UsageException("--balanced picks the cuts with DL4J's memory estimator, which does not model"
                    + " SameDiff graphs: drop --balanced for the preset cuts, or use --engine dl4j");
        }
        if (noTrim) {
            throw new UsageException("--no-trim switches off the DL4J engine's native-memory release; the SameDiff"
                    + " trainer always releases after each module: use --engine dl4j");
        }
    }

    private String text(Map<String, Object> r) {
        if (maxBatch) {
            return String.format("K=%-2s max batch %s under %s  ratio %s  cuts %s", r.get("k"), r.get("max_batch"), limit,
                    r.get("ratio_to_e2e"), r.get("cuts"));
        }
        Object est = r.get("estimated_bytes"); // null: no estimator for this engine
        return String.format("K=%-2s measured %7.1f MiB  estimated %11s  ratio %s  step %s ms  cuts %s",
                r.get("k"), mib(r.get("measured_peak_bytes")),
                est == null ? "n/a" : String.format("%7.1f MiB", mib(est)), r.get("ratio_to_e2e"),
                r.get("step_ms"), r.get("cuts"));
    }

    private static double mib(Object bytes) {
        return ((Number) bytes).longValue() / 1048576.0;
    }

    /** Preset cuts, or null for the balanced search (chosen in the child). */
    static List<String> cutsFor(int depth, int k, boolean balanced) {
        if (k == 1 || balanced) {
            return k == 1 ? List.of() : null;
        }
        try {
            return CutPresets.cuts(depth, k, false, false);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * A measurement set up as the command line would: the memory-balanced split for K &gt; 1, the native-memory
     * release on, 600 s per child.
     *
     * @param arch   resnetN
     * @param input  CxHxW
     * @param method the local method for K &gt; 1
     * @param data   {@value #SYNTHETIC} or {@value #FASHION_MNIST}
     */
    static MemoryCommand balanced(String arch, String input, int batch, int steps, Method method, String data) {
        MemoryCommand m = new MemoryCommand();
        m.arch = arch;
        m.input = input;
        m.batch = batch;
        m.steps = steps;
        m.balanced = true;
        m.method = method.cliName;
        m.data = data;
        m.engine = ENGINE_DL4J;
        m.timeout = 600;
        return m;
    }

    /** One row of the command's output for K modules (K = 1: end to end), measured in a fresh JVM. */
    Map<String, Object> measure(int k) throws Exception {
        return measure(arch, Args.chw(input), k, batch, steps, 0);
    }

    private Map<String, Object> measure(String net, long[] chw, int k, int b, int st, long limitBytes) throws Exception {
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m", "-Xms512m", "-XX:+AlwaysPreTouch"));
        if (limitBytes > 0) {
            jvm.add("-Dorg.bytedeco.javacpp.maxbytes=" + limitBytes);
            jvm.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + (limitBytes + (768L << 20))); // + heap and code
        } else {
            jvm.add("-Dorg.bytedeco.javacpp.maxbytes=0");
            jvm.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=0");
        }
        List<String> args = List.of(net, String.valueOf(chw[0]), String.valueOf(chw[1]),
                String.valueOf(chw[2]), String.valueOf(b), String.valueOf(k), String.valueOf(st), String.valueOf(balanced),
                String.valueOf(limitBytes), Method.parse(method).cliName, String.valueOf(!noTrim), data, engine);
        ForkedJvm.Result r = ForkedJvm.run(MemoryCommand.class.getName(), jvm, args, timeout);
        if (r.getExitCode() == EXIT_OOM) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("k", k);
            m.put("oom", true);
            m.put("error", lastLine(r.getStderr()));
            return m;
        }
        String line = ForkedJvm.lastJsonLine(r.getStdout());
        if (r.getExitCode() != 0 || line == null) {
            throw new IllegalStateException("measurement of K=" + k + " batch " + b + (r.isTimedOut() ? " timed out"
                    : " failed (exit " + r.getExitCode() + "): " + lastLine(r.getStderr())));
        }
        JsonNode n = Json.MAPPER.readTree(line);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = Json.MAPPER.convertValue(n, LinkedHashMap.class);
        return m;
    }

    private Map<String, Object> maxBatch(String net, long[] chw, int k, long limitBytes) throws Exception {
        int ok = 0;
        int bad = -1;
        int b = 8;
        List<?> cuts = null;
        while (bad < 0 && b <= 65536) { // grow until it fails
            Map<String, Object> r = measure(net, chw, k, b, steps, limitBytes);
            if (Boolean.TRUE.equals(r.get("oom"))) {
                bad = b;
            } else {
                ok = b;
                cuts = (List<?>) r.get("cuts");
                b *= 2;
            }
        }
        while (bad > 0 && bad - ok > Math.max(1, ok / 16)) { // bisect to about 6%
            int mid = (ok + bad) / 2;
            Map<String, Object> r = measure(net, chw, k, mid, steps, limitBytes);
            if (Boolean.TRUE.equals(r.get("oom"))) {
                bad = mid;
            } else {
                ok = mid;
                cuts = (List<?>) r.get("cuts");
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", k);
        m.put("limit_bytes", limitBytes);
        m.put("max_batch", ok);
        m.put("first_failing_batch", bad);
        m.put("cuts", cuts);
        return m;
    }

    static long parseBytes(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        long mult = 1;
        if (t.endsWith("g")) {
            mult = 1L << 30;
        } else if (t.endsWith("m")) {
            mult = 1L << 20;
        } else if (t.endsWith("k")) {
            mult = 1L << 10;
        }
        try {
            double v = Double.parseDouble(mult == 1 ? t : t.substring(0, t.length() - 1));
            if (v > 0) {
                return (long) (v * mult);
            }
        } catch (NumberFormatException ignored) {
            // usage error below
        }
        throw new UsageException("--limit " + s + " is not a positive size: use e.g. 2g, 1500m");
    }

    private static DatasetSplits loadFashionMnist() {
        try {
            return Datasets.loadEmbeddedFashionMnist();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The error line of a child's stderr: the first exception line, else the last line. */
    private static String lastLine(String s) {
        String[] l = s.trim().split("\\R");
        for (String line : l) {
            if (line.contains("Exception") || line.contains("Error")) {
                return line.trim();
            }
        }
        return l.length == 0 ? "" : l[l.length - 1];
    }

    /**
     * Child JVM entry: arch (resnetN or zoo:NAME) C H W batch K steps balanced limitBytes (0 = none) method
     * releaseNativeMemory data ({@value #SYNTHETIC} or {@value #FASHION_MNIST}) engine (dl4j or samediff). Prints
     * one JSON line; exit 3 when it ran out of memory (on stderr, the DL4J engine's message names the module).
     */
    public static void main(String[] a) {
        InfoproCli.selectNativeBuild();
        try {
            System.out.println(Json.line(child(a)));
            System.exit(0);
        } catch (Throwable e) {
            if (ModuleOutOfMemoryException.isOutOfMemory(e)) {
                String msg = e instanceof ModuleOutOfMemoryException ? e.getMessage()
                        : "Out of memory (" + e + "). Use a larger K" + (SameDiffTraining.isSameDiff(a[12]) ? ""
                        : ", --balanced,") + " or a smaller batch";
                System.err.println(msg);
                System.exit(EXIT_OOM);
            }
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static Map<String, Object> child(String[] a) {
        ZooNetworks zoo = ZooNetworks.isZoo(a[0]) ? ZooNetworks.byArch(a[0]) : null;
        int depth = zoo != null ? 0 : Args.resnetDepth(a[0]);
        long c = Long.parseLong(a[1]);
        long h = Long.parseLong(a[2]);
        long w = Long.parseLong(a[3]);
        int b = Integer.parseInt(a[4]);
        int k = Integer.parseInt(a[5]);
        int st = Integer.parseInt(a[6]);
        boolean bal = Boolean.parseBoolean(a[7]);
        long limitBytes = Long.parseLong(a[8]);
        Method localMethod = Method.parse(a[9]);
        boolean release = Boolean.parseBoolean(a[10]);
        CifarResNet resnet = CifarResNet.builder().depth(zoo != null ? 8 : depth).channels(c).height(h).width(w)
                .build();
        DataSet ds;
        Normalization norm = null;
        if (FASHION_MNIST.equals(a[11])) { // real images, normalised: the decoders rebuild them through norm
            DatasetSplits fashion = loadFashionMnist();
            ds = fashion.trainIterator(b, 1).next();
            norm = fashion.getNormalization();
        } else {
            ds = resnet.syntheticBatch(b, 1); // random images in [0, 1] and 10 classes, whatever the network
        }
        List<String> preset = zoo != null ? (k == 1 ? List.of() : null) : cutsFor(depth, k, bal);
        Normalization finalNorm = norm;
        MemoryBenchmark.Result r;
        List<String> cuts;
        if (SameDiffTraining.isSameDiff(a[12])) {
            SameDiffLocalModel[] built = new SameDiffLocalModel[1];
            r = MemoryBenchmark.measureSteps(() -> {
                built[0] = BenchNetworks.buildSameDiff(resnet, k, localMethod, preset, finalNorm);
                return () -> built[0].fit(ds);
            }, k, b, st, limitBytes);
            cuts = built[0].getCuts();
        } else {
            ComputationGraphConfiguration net = zoo != null
                    ? zoo.build((int) c, (int) h, (int) w, 10, 1).getConfiguration() : resnet.configuration();
            LocalModuleGraph[] built = new LocalModuleGraph[1];
            r = MemoryBenchmark.measure(() -> {
                built[0] = BenchNetworks.build(net, InputType.convolutional(h, w, c), k, localMethod, preset, b,
                        release, finalNorm);
                return built[0];
            }, ds, st, limitBytes);
            cuts = built[0].getConfig().getCuts();
        }
        Map<String, Object> m = r.toMap();
        m.put("cuts", cuts);
        m.put("engine", a[12]);
        m.put("arch", a[0]);
        m.put("balanced", (bal || zoo != null) && k > 1);
        m.put("method", k > 1 ? localMethod.cliName : "e2e");
        m.put("release_native_memory", release);
        m.put("allocator", NativeHeap.allocator().name().toLowerCase(java.util.Locale.ROOT));
        m.put("data", a[11]);
        return m;
    }
}

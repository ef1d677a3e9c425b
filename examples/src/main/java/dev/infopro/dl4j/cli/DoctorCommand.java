package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.backend.CudaSupport;
import dev.infopro.dl4j.backend.NativeHeap;
import dev.infopro.dl4j.backend.IdleNativeThreads;
import dev.infopro.dl4j.backend.OneDnnHelpers;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code infopro doctor}: what this installation computes with: the ND4J backend and native build, whether DL4J's
 * oneDNN layer helpers are on, the threads, how idle native threads wait ({@link IdleNativeThreads}), the C allocator,
 * and every GPU with its compute capability and whether ND4J's CUDA build can run on it ({@link CudaSupport}). Exits with 1 when the ND4J backend fails to start (after
 * printing the rest).
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Prints the ND4J backend, native build, oneDNN helpers, threads, idle native threads' waits,"
                + " C allocator and GPUs (with whether ND4J's CUDA build can run on them).")
public class DoctorCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON line.")
    boolean json;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Map<String, Object> out = new LinkedHashMap<>();
        // GPUs first: on a GPU the CUDA build cannot run on, ND4J's start fails (CudaCompatibilityCheck)
        List<CudaSupport.Gpu> gpus = CudaSupport.queryGpus();
        List<String> lines = new ArrayList<>();
        for (CudaSupport.Gpu g : gpus) {
            lines.add(g.getName() + ", compute capability " + g.computeCapability() + ": "
                    + (g.supported() ? "ND4J's CUDA build can run on it"
                    : "ND4J's CUDA build cannot run on it (machine code for " + CudaSupport.architectures()
                    + " only, no PTX)"));
        }
        out.put("gpus", gpus.isEmpty() ? List.of("none found (nvidia-smi absent or lists none)") : lines);
        out.put("cuda_backend_on_classpath", CudaSupport.cudaBackendPresent());
        out.put("cpus", Runtime.getRuntime().availableProcessors());
        out.put("OMP_NUM_THREADS", System.getenv().getOrDefault("OMP_NUM_THREADS", "(unset)"));
        Properties build = InfoproCli.buildProperties();
        out.put("backend_artifact", build.getProperty("backend.artifact", "?"));
        String ext = System.getProperty("org.bytedeco.javacpp.platform.extension", "");
        out.put("native_build", ext.isEmpty() ? "plain (no platform extension)" : ext);
        boolean started = true;
        try {
            Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
            String buildInfo = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
            out.put("backend", Nd4j.getBackend().getClass().getSimpleName() + " (" + env.get("backend") + ")");
            out.put("onednn_in_native_build", buildInfo != null && buildInfo.contains("HAVE_ONEDNN"));
            out.put("onednn_helpers", OneDnnHelpers.active());
            out.put("omp_threads", env.get("omp.threads"));
            out.put("blas_threads", env.get("blas.threads"));
            out.put("blas_vendor", env.get("blas.vendor"));
            out.put("nd4j_max_threads", Nd4j.getEnvironment().maxThreads());
            out.put("nd4j_max_master_threads", Nd4j.getEnvironment().maxMasterThreads());
            out.put("allocator", allocatorLine());
            out.put("idle_native_threads", IdleNativeThreads.describe());
        } catch (RuntimeException | LinkageError e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            out.put("backend", "failed to start: " + root.getMessage());
            started = false;
        }
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(Json.line(out));
        } else {
            out.forEach((k, v) -> {
                if (v instanceof List) {
                    w.printf(Locale.ROOT, "%-24s%n", k);
                    ((List<?>) v).forEach(line -> w.println("  " + line));
                } else {
                    w.printf(Locale.ROOT, "%-24s %s%n", k, v);
                }
            });
        }
        return started ? 0 : InfoproCli.EXIT_RUNTIME;
    }

    /** The C allocator, with what to do where it is glibc's (docs/benchmarks/memory.md, section 9). */
    static String allocatorLine() {
        switch (NativeHeap.allocator()) {
            case TCMALLOC:
                return "tcmalloc (preloaded)";
            case GLIBC:
                return "glibc malloc: install gperftools' tcmalloc (Debian/Ubuntu: libtcmalloc-minimal4) and the"
                        + " infopro launcher preloads it: its C heap stays near the live size (ResNet-110 end to end:"
                        + " under half of glibc's peak)";
            default:
                return "other (freed native memory is not handed back by this library)";
        }
    }
}

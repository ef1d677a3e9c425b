package dev.infopro.dl4j.backend;

import lombok.Value;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Which GPUs ND4J 1.0.0-M2.1's CUDA build ({@code org.nd4j:nd4j-cuda-11.6}) can run on, and the GPUs of this
 * machine as {@code nvidia-smi} lists them.
 *
 * <p>The build's {@code libnd4jcuda.so} carries machine code (cubins) for the architectures in
 * {@link #CUBIN_ARCHITECTURES} and no PTX (read from the artifact's fatbin containers; docs/benchmarks.md, "GPU").
 * Without PTX the driver cannot compile kernels for a newer architecture, and a cubin runs only on GPUs of its own
 * major version with an equal or higher minor version. So the build runs on compute capability 3.7 to 8.9 and fails
 * on Hopper (9.0) and newer with CUDA's "no kernel image is available for execution on the device" at the first
 * kernel launch. {@link CudaCompatibilityCheck} turns that into a clear error when the CUDA backend starts.
 */
public final class CudaSupport {
    /** SM architectures with machine code in nd4j-cuda-11.6 1.0.0-M2.1 (linux-x86_64), as major*10 + minor. */
    public static final List<Integer> CUBIN_ARCHITECTURES = List.of(37, 50, 52, 60, 61, 70, 75, 80, 86);
    /** Whether that build carries PTX (which the driver could compile for newer GPUs): it does not. */
    public static final boolean HAS_PTX = false;
    /** The ND4J class that is present only with the CUDA backend on the classpath. */
    static final String CUDA_BACKEND_CLASS = "org.nd4j.linalg.jcublas.JCublasBackend";

    private CudaSupport() {
    }

    /** A GPU and its compute capability ({@code major} and {@code minor} are -1 when unknown). */
    @Value
    public static class Gpu {
        String name;
        int major;
        int minor;

        /** The compute capability as "9.0", or "unknown". */
        public String computeCapability() {
            return major < 0 ? "unknown" : major + "." + minor;
        }

        /** Whether ND4J's CUDA build has code that runs on this GPU; false when the capability is unknown. */
        public boolean supported() {
            return major >= 0 && canRun(major, minor);
        }
    }

    /**
     * Whether the CUDA build can run on a GPU of compute capability {@code major.minor}: some cubin of the same major
     * version with a minor version at most {@code minor} (no PTX, so nothing newer).
     */
    public static boolean canRun(int major, int minor) {
        if (major < 0 || minor < 0) {
            throw new IllegalArgumentException("compute capability must be non-negative, got " + major + "." + minor);
        }
        for (int sm : CUBIN_ARCHITECTURES) {
            if (sm / 10 == major && sm % 10 <= minor) {
                return true;
            }
        }
        return false;
    }

    /** The architectures as "sm_37, sm_50, ...". */
    public static String architectures() {
        return CUBIN_ARCHITECTURES.stream().map(sm -> "sm_" + sm).collect(Collectors.joining(", "));
    }

    /**
     * Parses the output of {@code nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader}: one GPU per line,
     * "name, major.minor". A capability the driver cannot report ("[N/A]", or a driver without the
     * {@code compute_cap} field) gives a GPU with an unknown capability.
     *
     * @throws IllegalArgumentException for a line that is not "name, capability"
     */
    public static List<Gpu> parseNvidiaSmi(String csv) {
        List<Gpu> gpus = new ArrayList<>();
        for (String raw : csv.split("\\R")) {
            String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            int comma = line.lastIndexOf(',');
            if (comma <= 0) {
                throw new IllegalArgumentException("nvidia-smi line '" + line + "' is not 'name, compute capability'");
            }
            String name = line.substring(0, comma).trim();
            String cc = line.substring(comma + 1).trim();
            int major = -1;
            int minor = -1;
            if (cc.matches("\\d+\\.\\d+")) {
                int dot = cc.indexOf('.');
                major = Integer.parseInt(cc.substring(0, dot));
                minor = Integer.parseInt(cc.substring(dot + 1));
            }
            gpus.add(new Gpu(name, major, minor));
        }
        return gpus;
    }

    /**
     * The error to report before the CUDA backend launches a kernel, or empty when it can run: when GPUs are listed
     * and none of them is supported. A machine with a supported GPU beside an unsupported one is left to CUDA's
     * device selection.
     */
    public static Optional<String> problem(List<Gpu> gpus) {
        if (gpus.isEmpty() || gpus.stream().anyMatch(Gpu::supported)) {
            return Optional.empty();
        }
        String found = gpus.stream().map(g -> g.getName() + " (compute capability " + g.computeCapability() + ")")
                .collect(Collectors.joining(", "));
        return Optional.of("ND4J 1.0.0-M2.1's CUDA build (nd4j-cuda-11.6) cannot run on " + found + ": it carries "
                + "machine code for " + architectures() + " only and no PTX, so CUDA would fail with \"no kernel "
                + "image is available for execution on the device\". Use a GPU of compute capability 3.7 to 8.9, or "
                + "the CPU backend (the default build). Set -D" + CudaCompatibilityCheck.SKIP_PROPERTY
                + "=true to try anyway.");
    }

    /** Whether ND4J's CUDA backend is on the classpath. */
    public static boolean cudaBackendPresent() {
        try {
            Class.forName(CUDA_BACKEND_CLASS, false, CudaSupport.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * The GPUs that {@code nvidia-smi} lists; empty when it is not installed, fails or does not answer in 10 s (so
     * also on machines without an NVIDIA driver).
     */
    public static List<Gpu> queryGpus() {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader")
                    .redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return List.of();
            }
            if (p.exitValue() != 0 || out.toLowerCase(Locale.ROOT).contains("failed")) {
                return List.of();
            }
            return parseNvidiaSmi(out);
        } catch (IOException | IllegalArgumentException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}

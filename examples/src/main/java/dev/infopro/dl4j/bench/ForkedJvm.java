package dev.infopro.dl4j.bench;

import lombok.Value;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a fresh JVM with this JVM's java binary and class path, so that every memory measurement
 * starts from an untouched process (workspaces, allocator caches and the RSS high-water mark of one run never leak
 * into the next). The system properties in {@link #PASSED_ON} (JavaCPP's platform extension, that is the native ND4J
 * build; the log level; whether the tool runs on a terminal) are passed on when this JVM has them, so a child
 * shows what its parent would.
 */
public final class ForkedJvm {
    /** System properties of this JVM that a child gets too, unless its jvmArgs set them. */
    public static final List<String> PASSED_ON = List.of("org.bytedeco.javacpp.platform.extension",
            "org.slf4j.simpleLogger.defaultLogLevel", "infopro.terminal");

    private ForkedJvm() {
    }

    /** Exit status and output of a child JVM. */
    @Value
    public static class Result {
        int exitCode;
        String stdout;
        String stderr;
        boolean timedOut;
    }

    /** The java binary running this JVM. */
    public static String javaBinary() {
        String fromHome = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        if (new File(fromHome).canExecute()) {
            return fromHome;
        }
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** The command line: java [jvmArgs] [-D each of {@link #PASSED_ON} set here] -cp (this class path) mainClass args. */
    public static List<String> command(String mainClass, List<String> jvmArgs, List<String> args) {
        if (mainClass == null || mainClass.isEmpty()) {
            throw new IllegalArgumentException("mainClass must name the class to run, e.g. dev.example.Main");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmArgs);
        for (String key : PASSED_ON) {
            String value = System.getProperty(key);
            if (value != null && jvmArgs.stream().noneMatch(a -> a.startsWith("-D" + key + "="))) {
                cmd.add("-D" + key + "=" + value);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Runs the child and waits for it (killed after {@code timeoutSeconds}); stdout and stderr are collected.
     */
    public static Result run(String mainClass, List<String> jvmArgs, List<String> args, long timeoutSeconds)
            throws IOException, InterruptedException {
        return run(mainClass, jvmArgs, args, timeoutSeconds, false);
    }

    /**
     * As {@link #run(String, List, List, long)}; with {@code showStderr} the child's stderr (progress, warnings)
     * goes to this process's stderr instead of being collected.
     */
    public static Result run(String mainClass, List<String> jvmArgs, List<String> args, long timeoutSeconds,
                             boolean showStderr) throws IOException, InterruptedException {
        Path out = Files.createTempFile("infopro-child", ".out");
        Path err = Files.createTempFile("infopro-child", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command(mainClass, jvmArgs, args))
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
            if (showStderr) {
                pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            } else {
                pb.redirectError(err.toFile());
            }
            Process p = pb.start();
            p.getOutputStream().close();
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            return new Result(done ? p.exitValue() : -1, read(out), read(err), !done);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static String read(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The last line of {@code text} that starts with '{' (a JSON object), or null. */
    public static String lastJsonLine(String text) {
        String[] lines = text.split("\\R");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].trim().startsWith("{")) {
                return lines[i].trim();
            }
        }
        return null;
    }
}

package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.backend.IdleNativeThreads;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;

/**
 * The {@code infopro} command-line tool: trains, compares, evaluates and benchmarks InfoPro local learning on
 * DL4J networks. Run it through the {@code ./infopro} launcher at the repository root.
 *
 * <p>Exit codes: 0 success, 1 runtime failure (bad data, out of memory, divergence), 2 usage error.
 */
@Command(name = "infopro", mixinStandardHelpOptions = true, versionProvider = InfoproCli.Version.class,
        description = "InfoPro local learning for Deeplearning4j.",
        subcommands = {TrainCommand.class, CompareCommand.class, DemoCommand.class, EvalCommand.class,
                MemoryCommand.class, BenchCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class})
public class InfoproCli implements Runnable {
    /** Exit code of a usage error (unknown flag, bad value, missing directory). */
    public static final int EXIT_USAGE = 2;
    /** Exit code of a failure while running. */
    public static final int EXIT_RUNTIME = 1;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean debug;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Also show DL4J's and ND4J's INFO messages (start-up banner, backend build); warnings always show.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /**
     * Picks the native build and shortens the busy waiting of native idle threads ({@link IdleNativeThreads}), both of which take effect
     * only before ND4J loads its native library, then runs the tool and exits with its code.
     */
    public static void main(String[] args) {
        selectNativeBuild();
        IdleNativeThreads.preferShortWaits();
        System.exit(execute(args));
    }

    /** Runs the tool with the given arguments and returns its exit code (used by tests, without System.exit). */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #execute(String...)}, with the tool's own messages going to the given writers. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new InfoproCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(InfoproCli::usageError);
        cl.setExecutionExceptionHandler(InfoproCli::runtimeError);
        cl.setExecutionStrategy(InfoproCli::runParsed);
        return cl.execute(args);
    }

    /** Sets up the screen (log level, terminal) from the parsed options, before any logger exists, then runs. */
    private static int runParsed(CommandLine.ParseResult parsed) {
        boolean verbose = false;
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            verbose |= p.hasMatchedOption("--verbose");
        }
        Screen.configure(verbose);
        return new CommandLine.RunLast().execute(parsed);
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println("infopro: " + e.getMessage() + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName()
                + " --help')");
        return EXIT_USAGE;
    }

    private static int runtimeError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof UsageException) {
            err.println("infopro: " + e.getMessage());
            return EXIT_USAGE;
        }
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        err.println("infopro: " + message);
        if (parsed.hasMatchedOption("--debug")) {
            e.printStackTrace(err);
        } else {
            err.println("(run with --debug for the stack trace)");
        }
        return EXIT_RUNTIME;
    }

    /**
     * The jar carries one native ND4J build; tell JavaCPP which one before ND4J loads (the oneDNN build lives
     * under a platform extension such as {@code -onednn-avx2}). A value given with -D wins.
     */
    static void selectNativeBuild() {
        String key = "org.bytedeco.javacpp.platform.extension";
        if (System.getProperty(key) != null) {
            return;
        }
        Properties build = buildProperties();
        String ext = build.getProperty("javacpp.platform.extension", "");
        if (!ext.isEmpty() && !ext.startsWith("$")) {
            System.setProperty(key, ext);
        }
    }

    static Properties buildProperties() {
        Properties p = new Properties();
        try (InputStream in = InfoproCli.class.getResourceAsStream("/infopro-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // no build information: run with JavaCPP's defaults
        }
        return p;
    }

    /** Version from the build. */
    static class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = buildProperties();
            return new String[]{"infopro " + p.getProperty("version", "dev") + " (" + p.getProperty("backend.artifact", "?")
                    + p.getProperty("javacpp.platform.extension", "") + ")"};
        }
    }
}

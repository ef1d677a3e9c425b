package dev.infopro.dl4j.backend;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link IdleNativeThreads#preferShortWaits()} in fresh JVMs (this one has loaded ND4J already): it sets each variable
 * only before its library is loaded, and never overrides the user's environment.
 */
class IdleNativeThreadsTest {

    @Test
    void setsBothVariablesBeforeNd4jLoads() throws Exception {
        assumeLinux();
        assertEquals("SET 1000 SET 4 | loaded true true | LEFT_TO_ENVIRONMENT 1000 LEFT_TO_ENVIRONMENT 4",
                child("first", Map.of()));
    }

    @Test
    void changesNothingOnceTheLibrariesAreLoaded() throws Exception {
        assumeLinux();
        assertEquals("loaded true true | TOO_LATE null TOO_LATE null", child("after", Map.of()));
    }

    @Test
    void leavesTheUsersChoiceAlone() throws Exception {
        assumeLinux();
        assertEquals("LEFT_TO_ENVIRONMENT 50 SET 4 | loaded true true | LEFT_TO_ENVIRONMENT 50 LEFT_TO_ENVIRONMENT 4",
                child("first", Map.of(IdleNativeThreads.SPIN_COUNT_VARIABLE, "50")));
        assertEquals("LEFT_TO_ENVIRONMENT null SET 4 | loaded true true | LEFT_TO_ENVIRONMENT null"
                + " LEFT_TO_ENVIRONMENT 4", child("first", Map.of(IdleNativeThreads.WAIT_POLICY_VARIABLE, "PASSIVE")));
        assertEquals("SET 1000 LEFT_TO_ENVIRONMENT 10 | loaded true true | LEFT_TO_ENVIRONMENT 1000"
                + " LEFT_TO_ENVIRONMENT 10", child("first", Map.of(IdleNativeThreads.BLAS_TIMEOUT_VARIABLE, "10")));
    }

    @Test
    void describesTheSettingAsTheCLibrarySeesIt() throws Exception {
        assumeLinux();
        assertEquals("GOMP_SPINCOUNT=1000, OMP_WAIT_POLICY=(unset), OPENBLAS_THREAD_TIMEOUT=4",
                child("describe", Map.of()));
    }

    private static void assumeLinux() {
        assumeTrue(System.getProperty("os.name", "").toLowerCase().contains("linux"), "the libraries' variables: Linux");
    }

    /** Runs {@link Child} with only the given of the three variables set, and returns its last line. */
    private static String child(String mode, Map<String, String> variables) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), mode).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove(IdleNativeThreads.SPIN_COUNT_VARIABLE);
        env.remove(IdleNativeThreads.WAIT_POLICY_VARIABLE);
        env.remove(IdleNativeThreads.BLAS_TIMEOUT_VARIABLE);
        env.putAll(variables);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        String[] lines = out.split("\\R");
        return lines[lines.length - 1].trim();
    }

    /**
     * Child JVM. "first": calls {@code preferShortWaits} before ND4J, then loads ND4J and calls it again; "after":
     * loads ND4J first; "describe": calls it first and prints {@code describe()}, cut before any remark on loading.
     * Prints the outcomes with the values the C library sees.
     */
    public static final class Child {
        public static void main(String[] args) {
            StringBuilder line = new StringBuilder();
            switch (args[0]) {
                case "first" -> {
                    line.append(outcomes(IdleNativeThreads.preferShortWaits()));
                    line.append(" | ").append(loadNd4j());
                    line.append(" | ").append(outcomes(IdleNativeThreads.preferShortWaits()));
                }
                case "after" -> {
                    line.append(loadNd4j());
                    line.append(" | ").append(outcomes(IdleNativeThreads.preferShortWaits()));
                }
                case "describe" -> {
                    IdleNativeThreads.preferShortWaits();
                    line.append(IdleNativeThreads.describe().replace(" (not loaded yet)", ""));
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.println();
            System.out.println(line);
        }

        private static String loadNd4j() {
            Nd4j.create(new float[] {1, 2, 3}).sumNumber();
            Nd4j.create(new float[][] {{1, 2}, {3, 4}}).mmul(Nd4j.eye(2).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT));
            return "loaded " + IdleNativeThreads.loaded("/libgomp") + " " + IdleNativeThreads.loaded("/libopenblas");
        }

        private static String outcomes(Map<String, IdleNativeThreads.Outcome> o) {
            StringBuilder b = new StringBuilder();
            o.forEach((variable, outcome) -> b.append(b.length() == 0 ? "" : " ").append(outcome).append(' ')
                    .append(get(variable)));
            return b.toString();
        }

        private static String get(String variable) {
            return (String) com.sun.jna.NativeLibrary.getInstance("c").getFunction("getenv")
                    .invoke(String.class, new Object[] {variable});
        }
    }
}

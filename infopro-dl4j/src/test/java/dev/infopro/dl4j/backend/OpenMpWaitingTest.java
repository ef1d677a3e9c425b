package dev.infopro.dl4j.backend;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link OpenMpWaiting#preferShortSpin()} in fresh JVMs (this one has loaded ND4J already): it sets the variable only
 * before libgomp is loaded, and never overrides the user's environment.
 */
class OpenMpWaitingTest {

    @Test
    void setsTheSpinCountBeforeNd4jLoads() throws Exception {
        assumeLinux();
        assertEquals("SET 1000 | loaded true | LEFT_TO_ENVIRONMENT 1000", child("first", null, null));
    }

    @Test
    void changesNothingOnceLibgompIsLoaded() throws Exception {
        assumeLinux();
        assertEquals("loaded true | TOO_LATE null", child("after", null, null));
    }

    @Test
    void leavesTheUsersChoiceAlone() throws Exception {
        assumeLinux();
        assertEquals("LEFT_TO_ENVIRONMENT 50 | loaded true | LEFT_TO_ENVIRONMENT 50", child("first", "50", null));
        assertEquals("LEFT_TO_ENVIRONMENT null | loaded true | LEFT_TO_ENVIRONMENT null",
                child("first", null, "PASSIVE"));
    }

    @Test
    void describesTheSettingAsTheCLibrarySeesIt() throws Exception {
        assumeLinux();
        assertEquals("GOMP_SPINCOUNT=1000, OMP_WAIT_POLICY=(unset)", child("describe", null, null));
    }

    private static void assumeLinux() {
        assumeTrue(System.getProperty("os.name", "").toLowerCase().contains("linux"), "libgomp's variables: Linux only");
    }

    /** Runs {@link Child} with the two variables set as given (null: unset) and returns its last line. */
    private static String child(String mode, String spinCount, String waitPolicy) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), mode).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove(OpenMpWaiting.SPIN_COUNT_VARIABLE);
        env.remove(OpenMpWaiting.WAIT_POLICY_VARIABLE);
        if (spinCount != null) {
            env.put(OpenMpWaiting.SPIN_COUNT_VARIABLE, spinCount);
        }
        if (waitPolicy != null) {
            env.put(OpenMpWaiting.WAIT_POLICY_VARIABLE, waitPolicy);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        String[] lines = out.split("\\R");
        return lines[lines.length - 1].trim();
    }

    /**
     * Child JVM. "first": calls {@code preferShortSpin} before ND4J, then loads ND4J and calls it again; "after": loads
     * ND4J first; "describe": calls it first and prints {@code describe()}, cut before any remark on libgomp. Prints
     * the outcomes with the spin count as the C library sees it.
     */
    public static final class Child {
        public static void main(String[] args) {
            StringBuilder line = new StringBuilder();
            switch (args[0]) {
                case "first" -> {
                    line.append(outcome(OpenMpWaiting.preferShortSpin()));
                    line.append(" | ").append(loadNd4j());
                    line.append(" | ").append(outcome(OpenMpWaiting.preferShortSpin()));
                }
                case "after" -> {
                    line.append(loadNd4j());
                    line.append(" | ").append(outcome(OpenMpWaiting.preferShortSpin()));
                }
                case "describe" -> {
                    OpenMpWaiting.preferShortSpin();
                    line.append(OpenMpWaiting.describe().replace(" (libgomp not loaded yet)", ""));
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.println();
            System.out.println(line);
        }

        private static String loadNd4j() {
            Nd4j.create(new float[] {1, 2, 3}).sumNumber();
            return "loaded " + OpenMpWaiting.libgompLoaded();
        }

        private static String outcome(OpenMpWaiting.Outcome o) {
            String spin = (String) com.sun.jna.NativeLibrary.getInstance("c").getFunction("getenv")
                    .invoke(String.class, new Object[] {OpenMpWaiting.SPIN_COUNT_VARIABLE});
            return o + " " + spin;
        }
    }
}

package dev.infopro.dl4j.bench;

import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Measured peak memory of K = 4 local modules vs end to end, each in a fresh JVM, on a float ResNet-14 (32x32,
 * batch 32). The heap is pre-touched (-Xms = -Xmx, AlwaysPreTouch) so that it is resident before the baseline and
 * the measured increase is ND4J's.
 */
class ForkedMemoryTest {

    private static JsonNode run(int k) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(MemoryChildMain.class.getName(),
                List.of("-Xmx256m", "-Xms256m", "-XX:+AlwaysPreTouch", "-Dorg.bytedeco.javacpp.maxbytes=3g",
                        "-Dorg.bytedeco.javacpp.maxphysicalbytes=4g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"),
                List.of("14", "32", "32", String.valueOf(k), "2"), 120);
        assertEquals(0, r.getExitCode(), "child K=" + k + " failed:\n" + r.getStderr());
        String line = ForkedJvm.lastJsonLine(r.getStdout());
        assertNotNull(line, "no JSON line from child K=" + k + ":\n" + r.getStdout() + r.getStderr());
        System.out.println("K=" + k + " " + line);
        return new ObjectMapper().readTree(line);
    }

    @Test
    void fourModulesNeedClearlyLessMemoryThanEndToEnd() throws Exception {
        JsonNode e2e = run(1);
        JsonNode k4 = run(4);
        long mE2e = e2e.get("measured_peak_bytes").asLong();
        long mK4 = k4.get("measured_peak_bytes").asLong();
        assertTrue(mE2e > 50L << 20, "E2E should add well over 50 MB, measured " + mE2e);
        // margin far beyond allocator/heap noise (a few MB): at most 70% of E2E and at least 40 MB less
        assertTrue(mK4 < 0.7 * mE2e && mE2e - mK4 > 40L << 20, "K=4 " + mK4 + " vs E2E " + mE2e);
        long nE2e = e2e.get("peak_nd4j_bytes").asLong();
        long nK4 = k4.get("peak_nd4j_bytes").asLong();
        assertTrue(nK4 < nE2e, "ND4J counters: K=4 " + nK4 + " vs E2E " + nE2e);
        // the estimate orders the two the same way
        assertTrue(k4.get("estimated_bytes").asLong() < e2e.get("estimated_bytes").asLong());
        assertEquals(4, k4.get("k").asInt());
    }
}

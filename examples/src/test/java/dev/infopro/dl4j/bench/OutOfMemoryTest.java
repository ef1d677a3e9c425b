package dev.infopro.dl4j.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A forked training run under a tiny off-heap limit fails with the engine's out-of-memory error naming the module.
 * (How the engine recognises ND4J's and JavaCPP's out-of-memory errors is tested in the library.)
 */
class OutOfMemoryTest {

    /** Training E2E (needs ~700 MB) under a 100 MB limit fails with an error that names the module. */
    @Test
    void trainingUnderATinyOffHeapLimitNamesTheModule() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(MemoryChildMain.class.getName(),
                List.of("-Xmx256m",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"),
                List.of("14", "32", "64", "1", "1", String.valueOf(100L << 20)), 120);
        assertNotEquals(0, r.getExitCode(), r.getStdout());
        assertTrue(r.getStderr().contains("Out of memory while training module 1 of 1 (batch 64)"),
                r.getStderr().length() > 3000 ? r.getStderr().substring(0, 3000) : r.getStderr());
    }
}

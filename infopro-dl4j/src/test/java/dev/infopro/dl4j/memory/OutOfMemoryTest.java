package dev.infopro.dl4j.memory;

import dev.infopro.dl4j.engine.ModuleOutOfMemoryException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutOfMemoryTest {

    @Test
    void recognisesNd4jAndJavaCppOutOfMemory() {
        assertTrue(ModuleOutOfMemoryException.isOutOfMemory(new RuntimeException("Failed to allocate 1234 bytes")));
        assertTrue(ModuleOutOfMemoryException.isOutOfMemory(new IllegalStateException("op failed",
                new OutOfMemoryError("Cannot allocate new LongPointer(16): totalBytes = 2G"))));
        assertFalse(ModuleOutOfMemoryException.isOutOfMemory(new IllegalArgumentException("shape mismatch")));
        ModuleOutOfMemoryException e = new ModuleOutOfMemoryException(2, 4, 128,
                new OutOfMemoryError("Cannot allocate new FloatPointer"));
        assertTrue(e.getMessage().startsWith("Out of memory while training module 3 of 4 (batch 128)"), e.getMessage());
        assertTrue(e.getMessage().contains("larger K") && e.getMessage().contains("smaller batch"), e.getMessage());
    }

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

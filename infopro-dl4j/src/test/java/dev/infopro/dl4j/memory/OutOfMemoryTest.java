package dev.infopro.dl4j.memory;

import dev.infopro.dl4j.engine.ModuleOutOfMemoryException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recognising ND4J's and JavaCPP's out-of-memory errors. The forked run under a tiny off-heap limit is in the tool
 * module's benchmark tests ({@code dev.infopro.dl4j.bench.OutOfMemoryTest}).
 */
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
}

package dev.infopro.dl4j.backend;

import dev.infopro.dl4j.memory.ProcessMemory;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** malloc_trim really returns freed, fragmented C-heap pages to the OS. */
class NativeHeapTest {
    private static final long CHUNK = 64 << 10; // below glibc's mmap threshold: served from an arena
    private static final int CHUNKS = 2048;     // 128 MiB in all

    @Test
    void trimReleasesFreedHolesThatFreeAloneKeeps() {
        assumeTrue(NativeHeap.isAvailable(), "glibc malloc_trim is not available on this system");
        assumeTrue(ProcessMemory.currentRssBytes() > 0, "no /proc RSS on this system");
        List<Pointer> chunks = new ArrayList<>();
        for (int i = 0; i < CHUNKS; i++) {
            Pointer p = Pointer.malloc(CHUNK);
            Pointer.memset(p, 1, CHUNK); // make every page resident
            chunks.add(p);
        }
        // free every other chunk: the holes sit between live chunks, so free() cannot give them back
        for (int i = 0; i < CHUNKS; i += 2) {
            Pointer.free(chunks.get(i));
        }
        long afterFree = ProcessMemory.currentRssBytes();
        NativeHeap.trim();
        long afterTrim = ProcessMemory.currentRssBytes();
        for (int i = 1; i < CHUNKS; i += 2) {
            Pointer.free(chunks.get(i));
        }
        long holes = CHUNKS / 2 * CHUNK; // 64 MiB
        assertTrue(afterFree - afterTrim > holes / 2, "trim released only " + ((afterFree - afterTrim) >> 20)
                + " MiB of " + (holes >> 20) + " MiB of freed holes");
    }
    @Test
    void mmapThresholdIsSetAndNegativeValuesRefused() {
        assumeTrue(NativeHeap.isAvailable(), "glibc mallopt is not available on this system");
        // the engine's two settings: glibc's initial threshold for a module's first step, then its dynamic maximum
        assertTrue(NativeHeap.setMmapThreshold(128 << 10));
        assertTrue(NativeHeap.setMmapThreshold(32 << 20));
        assertFalse(NativeHeap.setMmapThreshold(-1), "a negative threshold must be refused");
    }
}

package dev.infopro.dl4j.backend;

import dev.infopro.dl4j.memory.ProcessMemory;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void allocatorIsTcmallocExactlyWhenPreloaded() {
        assumeTrue(NativeHeap.isAvailable(), "not a glibc system");
        String preload = System.getenv().getOrDefault("LD_PRELOAD", "");
        assertEquals(preload.contains("tcmalloc") ? NativeHeap.Allocator.TCMALLOC : NativeHeap.Allocator.GLIBC,
                NativeHeap.allocator(), "LD_PRELOAD=" + preload);
    }

    /**
     * In a fresh JVM each (a used C heap may serve the blocks from free space in its middle, where neither setting
     * can return them), frees 48 freshly written 1 MiB blocks: released at once they go back to the system, with the
     * steady setting they stay resident for reuse.
     */
    @Test
    void releaseAtOnceReturnsFreedBlocksThatTheSteadySettingKeepsForReuse() throws Exception {
        assumeTrue(NativeHeap.isAvailable(), "glibc mallopt is not available on this system");
        assumeTrue(ProcessMemory.currentRssBytes() > 0, "no /proc RSS on this system");
        long eager = returnedInChild(true);
        long steady = returnedInChild(false);
        assertTrue(eager > (36L << 20), "released at once, yet only " + (eager >> 20) + " MiB of 48 returned");
        assertTrue(steady < (12L << 20), "kept for reuse, yet " + (steady >> 20) + " MiB of 48 returned");
    }

    private static long returnedInChild(boolean atOnce) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), FreeMain.class.getName(),
                String.valueOf(atOnce)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        String[] lines = out.split("\\R");
        return Long.parseLong(lines[lines.length - 1].trim());
    }

    /** Child of the test above: prints the RSS bytes that freeing the blocks returned. */
    public static final class FreeMain {
        public static void main(String[] args) {
            if (!NativeHeap.releaseAtOnce(Boolean.parseBoolean(args[0]))) {
                throw new IllegalStateException("the allocator refused the setting");
            }
            List<Pointer> blocks = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                Pointer p = Pointer.malloc(1 << 20);
                Pointer.memset(p, 1, 1 << 20);
                blocks.add(p);
            }
            long before = ProcessMemory.currentRssBytes();
            blocks.forEach(Pointer::free);
            System.out.println(before - ProcessMemory.currentRssBytes());
        }
    }
}

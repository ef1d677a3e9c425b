package dev.infopro.dl4j.backend;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives freed native memory back to the operating system. ND4J's arrays, libnd4j's and oneDNN's temporaries live
 * in the C heap; glibc keeps freed blocks in its arenas (resident) and reuses them only for requests that fit, so a
 * process that frees a module's activations still looks as large as before. {@link #trim()} calls glibc's
 * {@code malloc_trim(0)}, which releases the free pages of every arena. Where the process runs on gperftools'
 * tcmalloc instead (preloaded with {@code LD_PRELOAD}, as the {@code infopro} launcher does where it is installed),
 * it calls tcmalloc's {@code MallocExtension_ReleaseFreeMemory()}. Where there is neither (macOS, Windows, musl) it
 * does nothing.
 */
public final class NativeHeap {
    private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);
    /** glibc's mallopt parameters. */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final CLib LIBC = load();
    /** glibc's initial mmap threshold: blocks from 128 KiB up are mapped on their own. */
    private static final int EAGER_MMAP_THRESHOLD = 128 << 10;
    /** The most glibc's dynamic mmap threshold grows to on 64-bit systems. */
    private static final int STEADY_MMAP_THRESHOLD = 32 << 20;
    /** tcmalloc's release function when tcmalloc is the process's allocator, else null. */
    private static final Function TCMALLOC_RELEASE = tcmallocFunction("MallocExtension_ReleaseFreeMemory");
    /** tcmalloc's {@code MallocExtension_SetNumericProperty(name, value)}, with tcmalloc, else null. */
    private static final Function TCMALLOC_SET = TCMALLOC_RELEASE == null ? null
            : tcmallocFunction("MallocExtension_SetNumericProperty");

    /** The C allocator of this process, as far as this class can tell. */
    public enum Allocator {
        /** glibc's malloc (Linux's default). */
        GLIBC,
        /** gperftools' tcmalloc, preloaded. */
        TCMALLOC,
        /** Another allocator or system: freed memory stays with it. */
        OTHER
    }

    private NativeHeap() {
    }

    /** glibc's malloc_trim and mallopt. */
    private interface CLib extends Library {
        int malloc_trim(long pad);

        int mallopt(int param, int value);
    }

    private static CLib load() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return null;
        }
        try {
            return Native.loadLibrary("c", CLib.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.debug("malloc_trim is not available ({}); freed native memory stays with the allocator", e.toString());
            return null;
        }
    }

    private static Function tcmallocFunction(String name) {
        if (LIBC == null) {
            return null;
        }
        try {
            return NativeLibrary.getProcess().getFunction(name);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null; // not loaded: glibc's malloc serves the process
        }
    }

    /** The allocator {@link #trim()} works with. */
    public static Allocator allocator() {
        return TCMALLOC_RELEASE != null ? Allocator.TCMALLOC : LIBC != null ? Allocator.GLIBC : Allocator.OTHER;
    }

    /** Whether {@link #trim()} can release memory on this system. */
    public static boolean isAvailable() {
        return LIBC != null;
    }

    /**
     * Releases the free pages of the C heap to the operating system.
     *
     * @return whether any memory was released (false also where trimming is not available)
     */
    public static boolean trim() {
        if (LIBC == null) {
            return false;
        }
        try {
            if (TCMALLOC_RELEASE != null) {
                TCMALLOC_RELEASE.invokeVoid(new Object[0]);
                return true;
            }
            return LIBC.malloc_trim(0) != 0;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false; // a libc without malloc_trim
        }
    }

    /**
     * Switches between releasing freed memory at once and keeping it for reuse. While on, glibc maps every block of
     * 128 KiB or more on its own and unmaps it when freed; tcmalloc decommits freed spans at once
     * ({@code tcmalloc.aggressive_memory_decommit}). Memory is then returned exactly, at the cost of page faults when
     * it is touched again: right for a step that allocates every activation separately (the step in which DL4J
     * sizes its workspaces), too slow for the steps after it. While off (the allocators' usual behaviour), freed
     * blocks stay resident for reuse until {@link #trim()}.
     *
     * @param on whether to release at once
     * @return whether the allocator took the setting (false where neither glibc nor tcmalloc is available)
     */
    public static boolean releaseAtOnce(boolean on) {
        if (LIBC == null) {
            return false;
        }
        try {
            if (TCMALLOC_SET != null) {
                return TCMALLOC_SET.invokeInt(new Object[]{"tcmalloc.aggressive_memory_decommit", (long) (on ? 1 : 0)})
                        != 0;
            }
            return setMmapThreshold(on ? EAGER_MMAP_THRESHOLD : STEADY_MMAP_THRESHOLD);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    /**
     * Sets glibc's mmap threshold: blocks of at least {@code bytes} are then mapped on their own and unmapped when
     * freed (exactly released, at the cost of page faults when touched again), smaller ones come from the arenas.
     * Setting it switches off glibc's dynamic threshold for the rest of the process, so the trim threshold (free
     * memory at the top of the heap that {@code free} gives back at once) is set to twice this value, as glibc's
     * dynamic adjustment would: left at its 128 KiB default, nearly every free would shrink the heap and the next
     * allocation would fault the pages in again.
     *
     * @return whether glibc took the threshold
     */
    private static boolean setMmapThreshold(int bytes) {
        int trim = (int) Math.min(Integer.MAX_VALUE, 2L * bytes);
        return LIBC.mallopt(M_MMAP_THRESHOLD, bytes) == 1 && LIBC.mallopt(M_TRIM_THRESHOLD, trim) == 1;
    }
}

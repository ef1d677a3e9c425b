package dev.infopro.dl4j.backend;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives freed native memory back to the operating system. ND4J's arrays, libnd4j's and oneDNN's temporaries live
 * in the C heap; glibc keeps freed blocks in its arenas (resident) and reuses them only for requests that fit, so a
 * process that frees a module's activations still looks as large as before. {@link #trim()} calls glibc's
 * {@code malloc_trim(0)}, which releases the free pages of every arena. Where there is no glibc (macOS, Windows,
 * musl) it does nothing.
 */
public final class NativeHeap {
    private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);
    /** glibc's mallopt parameters. */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final CLib LIBC = load();

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
            return LIBC.malloc_trim(0) != 0;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false; // a libc without malloc_trim
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
     * @return whether the threshold was set (false where glibc is not available or rejected the value)
     */
    public static boolean setMmapThreshold(int bytes) {
        if (LIBC == null || bytes < 0) {
            return false;
        }
        try {
            int trim = (int) Math.min(Integer.MAX_VALUE, 2L * bytes);
            return LIBC.mallopt(M_MMAP_THRESHOLD, bytes) == 1 && LIBC.mallopt(M_TRIM_THRESHOLD, trim) == 1;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }
}

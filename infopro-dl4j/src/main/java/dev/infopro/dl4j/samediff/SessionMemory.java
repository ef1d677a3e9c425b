package dev.infopro.dl4j.samediff;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.ArrayCacheMemoryMgr;

/**
 * Bounds the array cache of a SameDiff graph's session on the calling thread. By default each session caches freed
 * arrays up to 25% of the memory limit, and a module has three graphs (training, its gradient function, inference):
 * with K modules that is 3K x 25%, so the cache, not the activations, would set the peak. A small cache per session
 * keeps the reuse of same-shaped arrays between steps without that growth.
 */
final class SessionMemory {
    /** Fraction of the memory limit one session may cache. */
    static final double CACHE_FRACTION = 0.02;
    /** The gradient function's name inside a SameDiff graph (SameDiff.GRAD_FN_KEY, protected). */
    static final String GRAD_FUNCTION = "grad";

    private SessionMemory() {
    }

    /** Gives {@code sd}'s session on this thread (created if missing) a small array cache, once. */
    static void bound(SameDiff sd) {
        if (sd == null) {
            return;
        }
        long thread = Thread.currentThread().getId();
        InferenceSession s = sd.getSessions().get(thread);
        if (s == null) {
            s = new InferenceSession(sd);
            sd.getSessions().put(thread, s);
        }
        if (!(s.getMmgr() instanceof ArrayCacheMemoryMgr)
                || ((ArrayCacheMemoryMgr) s.getMmgr()).getMaxMemFrac() != CACHE_FRACTION) {
            s.setMmgr(new ArrayCacheMemoryMgr(CACHE_FRACTION, 1024, 2.0));
        }
    }

    /**
     * Drops {@code sd}'s session on this thread. An M2.1 session keeps, after {@code output} or
     * {@code calculateGradients} returns, every op's output and an {@code OpContext} per op holding its input and
     * output arrays, so the whole pass stays reachable and {@code System.gc()} cannot free it. The next call creates
     * a fresh session ({@link #bound}); the arrays a caller got back stay valid.
     */
    static void release(SameDiff sd) {
        if (sd == null) {
            return;
        }
        sd.getSessions().remove(Thread.currentThread().getId());
    }
}

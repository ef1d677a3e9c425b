package dev.infopro.dl4j.backend;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.scratchpad_mode;

/**
 * oneDNN itself, through JavaCPP's {@code dnnl} presets (version 2.5, beside the oneDNN that libnd4j links in and
 * does not expose): the CPU engine, a stream per thread, and DL4J's arrays seen as oneDNN memory without copying.
 * What runs on it: {@link DirectConvolution} and {@link DirectRelu}.
 */
final class OneDnn {
    private static final Logger LOG = LoggerFactory.getLogger(OneDnn.class);
    private static engine cpu;
    private static final boolean AVAILABLE = load();
    private static final ThreadLocal<stream> STREAM = ThreadLocal.withInitial(() -> kept(new stream(cpu), null));

    private OneDnn() {
    }

    /**
     * Whether oneDNN's library loaded (once per process; a failure is logged once) and ND4J computes on the CPU, where
     * an array's buffer is host memory that oneDNN can use; otherwise callers keep libnd4j's ops.
     */
    static boolean available() {
        return AVAILABLE && Backend.CPU;
    }

    // read on first use, once ND4J has started
    private static final class Backend {
        static final boolean CPU = "CpuBackend".equals(Nd4j.getBackend().getClass().getSimpleName());
    }

    private static boolean load() {
        try (PointerScope ignored = new PointerScope()) {
            cpu = kept(new engine(engine.kind.cpu, 0), null);
            return true;
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError: no oneDNN for this platform
            LOG.warn("oneDNN could not be loaded ({}); convolutions and ReLUs stay on libnd4j's ops", t.toString());
            return false;
        }
    }

    /** The CPU engine. */
    static engine cpu() {
        return cpu;
    }

    /**
     * How many OpenMP threads a primitive run from this thread would use. oneDNN sizes a primitive's per-thread work
     * and scratchpad when it is built, so a primitive must not run on a thread allowed more threads than the one that
     * built it (pipelined modules limit each worker's threads, {@link NativeThreads}); callers key their primitives
     * by it.
     */
    static int threads() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /** This thread's stream (a stream must not be used by two threads at once). */
    static stream stream() {
        return STREAM.get();
    }

    /**
     * Keeps {@code p} beyond the pointer scope it was made in (JavaCPP frees what a scope holds when it closes, and a
     * caller's scope may be open around ours): one more reference, to be given back by the owner of {@code owned}
     * (never, without one: the engine and the streams live as long as the process).
     */
    static <P extends Pointer> P kept(P p, List<Pointer> owned) {
        p.retainReference();
        if (owned != null) {
            owned.add(p);
        }
        return p;
    }

    /** Gives back what {@link #kept} took for {@code owned}. */
    static void release(List<Pointer> owned) {
        owned.forEach(Pointer::releaseReference);
        owned.clear();
    }

    /**
     * Attributes for every primitive this library makes: the scratchpad is the caller's, given with each execution
     * ({@link Executable}, from {@link Scratchpad}), as PyTorch does. With oneDNN's default a primitive finds its
     * scratchpad through the thread that runs it, and a thread that never built a primitive (a pipelined module's
     * worker, the next run's workers) has none: the JVM crashed
     * (DirectConvolutionTest.primitivesRunOnThreadsThatDidNotBuildThem).
     */
    static primitive_attr userScratchpad() {
        primitive_attr attr = new primitive_attr();
        attr.set_scratchpad_mode(scratchpad_mode.user);
        return attr;
    }

    /** A primitive with the size of the scratchpad it needs, kept for {@code owned} (see {@link #kept}). */
    static final class Executable {
        private final primitive primitive;
        private final memory.desc scratchpad;

        Executable(primitive primitive, memory.desc scratchpad, List<Pointer> owned) {
            this.primitive = kept(primitive, owned);
            this.scratchpad = kept(scratchpad, owned);
        }

        /** Runs it on {@code s} with this thread's scratchpad ({@link Scratchpad}). */
        void execute(stream s, IntMemoryMap args) {
            long size = scratchpad.get_size();
            if (size > 0) {
                args.put(DNNL_ARG_SCRATCHPAD, new memory(scratchpad, cpu, SCRATCHPAD.get().atLeast(size)));
            }
            primitive.execute(s, args);
        }
    }

    private static final ThreadLocal<Scratchpad> SCRATCHPAD = ThreadLocal.withInitial(Scratchpad::new);

    /**
     * One thread's scratch memory for all the primitives it runs, grown to the largest they ask for, as oneDNN's own
     * per-thread scratchpad is (a fresh one per execution made steps slower and ResNet-110 K = 4's peak 15-20%
     * higher). Freed by the garbage collector after the thread ends.
     */
    private static final class Scratchpad {
        private static final int ALIGNMENT = 64;
        private INDArray buffer; // an ND4J array outside workspaces: freed by ND4J once the thread and this are gone
        private Pointer aligned;
        private long size;

        Pointer atLeast(long bytes) {
            if (bytes > size) {
                // the thread's earlier executions have finished (streams wait), so the smaller buffer goes at once
                if (buffer != null && buffer.closeable()) {
                    buffer.close();
                }
                buffer = Nd4j.createUninitializedDetached(DataType.BYTE, bytes + ALIGNMENT);
                BytePointer start = new BytePointer(buffer.data().addressPointer());
                long misalignment = start.address() % ALIGNMENT;
                aligned = start.getPointer(misalignment == 0 ? 0 : ALIGNMENT - misalignment);
                size = bytes;
            }
            return aligned;
        }
    }

    /** Whether oneDNN can use {@code a} in place: a float array, dense in C order (an offset is fine). */
    static boolean accepts(INDArray a) {
        return a.dataType() == DataType.FLOAT && ArrayElements.denseInCOrder(a);
    }

    /** DL4J's array as oneDNN memory of {@code desc}, without copying; it must be one that {@link #accepts}. */
    static memory user(memory.desc desc, INDArray a) {
        if (!accepts(a)) {
            throw new IllegalArgumentException("need a dense C-order float array, got "
                    + a.shapeInfoToString().replace('\n', ' '));
        }
        // the address libnd4j's ops get too: a view's buffer starts at the view's first element (ND4J makes a view
        // buffer for an offset), so offset() is not added again
        return new memory(desc, cpu, a.data().addressPointer());
    }
}

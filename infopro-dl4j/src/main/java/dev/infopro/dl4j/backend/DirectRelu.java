package dev.infopro.dl4j.backend;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.eltwise_backward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.algorithm;
import static org.bytedeco.dnnl.global.dnnl.prop_kind;

/**
 * ReLU's backward pass on oneDNN ({@link OneDnn}): {@code dx = y <= 0 ? 0 * dy : dy} from the ReLU's output
 * {@code y} (or its input, which is positive at the same places), one vectorised sweep. libnd4j M2.1's
 * {@code RectifiedLinearDerivative} op calls a {@code std::function} per element and took 4-5% of a ResNet-20 step's
 * processor time. Results equal that op's except where {@code y} is not positive: there oneDNN multiplies by 0, so a
 * NaN gradient stays NaN (the op drops it to 0) and a negative one gives -0 instead of +0; and where {@code y} is NaN,
 * oneDNN passes {@code dy} through (the op gives 0). Either way a NaN activation makes the loss NaN. ReLU is
 * elementwise, so every array is seen as one run of elements; a primitive is built once per length and kept, and
 * shared by all threads (each execution brings its own scratchpad).
 */
public final class DirectRelu {
    // by length and the number of threads they were built for (OneDnn.threads())
    private static final Map<List<Long>, OneDnn.Executable> PRIMITIVES = new ConcurrentHashMap<>();
    private static final List<Pointer> OWNED = new ArrayList<>();

    private DirectRelu() {
    }

    /**
     * Writes ReLU's input gradient into {@code dx} and returns true, where oneDNN is available and the three arrays
     * are dense C-order float arrays of one length; returns false, writing nothing, otherwise.
     */
    public static boolean backward(INDArray y, INDArray dy, INDArray dx) {
        if (!OneDnn.available() || !OneDnn.accepts(y) || !OneDnn.accepts(dy) || !OneDnn.accepts(dx)
                || y.length() != dy.length() || y.length() != dx.length()) {
            return false;
        }
        OneDnn.Executable primitive = PRIMITIVES.computeIfAbsent(List.of(y.length(), (long) OneDnn.threads()),
                key -> build(key.get(0)));
        stream s = OneDnn.stream();
        try (PointerScope ignored = new PointerScope()) {
            memory.desc run = run(y.length());
            primitive.execute(s, new IntMemoryMap().put(DNNL_ARG_DST, OneDnn.user(run, y))
                    .put(DNNL_ARG_DIFF_DST, OneDnn.user(run, dy)).put(DNNL_ARG_DIFF_SRC, OneDnn.user(run, dx)));
            s._wait();
        }
        return true;
    }

    private static memory.desc run(long length) {
        return new memory.desc(new long[]{length}, memory.data_type.f32, memory.format_tag.x);
    }

    private static OneDnn.Executable build(long length) {
        try (PointerScope ignored = new PointerScope()) {
            memory.desc run = run(length);
            eltwise_forward.primitive_desc hint = new eltwise_forward.primitive_desc(new eltwise_forward.desc(
                    prop_kind.forward_training, algorithm.eltwise_relu_use_dst_for_bwd, run, 0f, 0f), OneDnn.cpu());
            eltwise_backward.primitive_desc pd = new eltwise_backward.primitive_desc(new eltwise_backward.desc(
                    algorithm.eltwise_relu_use_dst_for_bwd, run, run, 0f, 0f), OneDnn.userScratchpad(), OneDnn.cpu(),
                    hint);
            synchronized (OWNED) {
                return new OneDnn.Executable(new eltwise_backward(pd), pd.scratchpad_desc(), OWNED);
            }
        }
    }
}

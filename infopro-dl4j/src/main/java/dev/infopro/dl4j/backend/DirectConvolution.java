package dev.infopro.dl4j.backend;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.algorithm;
import static org.bytedeco.dnnl.global.dnnl.prop_kind;

/**
 * One convolution layer's float NCHW convolutions (forward, backward data, backward weights) computed by calling
 * oneDNN directly, through JavaCPP's {@code dnnl} presets, instead of through libnd4j's op.
 *
 * <p>Why: libnd4j M2.1 lets oneDNN pick every layout on each call, so its forward convolution runs in NHWC and its
 * backward passes in oneDNN's blocked layout, converting every activation and gradient to and from DL4J's NCHW around
 * each call, and it builds each layout conversion (a JIT-compiled kernel) anew every time. Those conversions took
 * more of a ResNet-20 step than the convolutions themselves (docs/benchmarks.md, "Where the rest goes"). Here oneDNN
 * 2.5 picks its blocked layout for all three passes, as PyTorch's oneDNN does, and the primitives and conversions
 * are built once per geometry and kept. The arithmetic is oneDNN's either way.
 *
 * <p>Not thread-safe: one instance per layer, as DL4J's helpers are. Only where {@link OneDnn#available()} (not off
 * linux-x86_64); callers otherwise keep libnd4j's path.
 */
final class DirectConvolution {
    // the primitives of the last geometry, by the number of threads they were built for (OneDnn.threads())
    private Geometry cached;
    private final Map<Integer, Primitives> primitives = new HashMap<>();

    /**
     * One convolution's shapes in oneDNN's terms: NCHW source and destination, OIHW weights, strides, dilations
     * (oneDNN counts the gaps, DL4J the step: 0 and 1 mean none), and the padding before and after each axis.
     */
    record Geometry(long[] src, long[] weights, long[] dst, long[] strides, long[] dilates, long[] padL,
                    long[] padR, boolean bias) {
        boolean sameAs(Geometry o) {
            return o != null && bias == o.bias && Arrays.equals(src, o.src) && Arrays.equals(weights, o.weights)
                    && Arrays.equals(dst, o.dst) && Arrays.equals(strides, o.strides)
                    && Arrays.equals(dilates, o.dilates) && Arrays.equals(padL, o.padL) && Arrays.equals(padR, o.padR);
        }
    }

    /**
     * The geometry of a DL4J convolution with these settings, or {@code null} where this class does not take it
     * (other than float, other than NCHW). Padding in {@code Same} mode is DL4J's: the top-left part from
     * {@code ConvolutionUtils}, the rest after; in the other modes it is the layer's on both sides, and oneDNN, like
     * DL4J, leaves out the input that a stride does not reach.
     */
    static Geometry geometry(INDArray input, INDArray weights, boolean bias, int[] kernel, int[] strides, int[] pad,
                             ConvolutionMode mode, int[] dilation, CNN2DFormat format) {
        if (format != CNN2DFormat.NCHW || input.rank() != 4 || weights.rank() != 4
                || input.dataType() != DataType.FLOAT || weights.dataType() != DataType.FLOAT) {
            return null;
        }
        int[] in = {(int) input.size(2), (int) input.size(3)};
        int[] out;
        int[] before;
        if (mode == ConvolutionMode.Same) {
            out = ConvolutionUtils.getOutputSize(input, kernel, strides, null, mode, dilation, format);
            before = ConvolutionUtils.getSameModeTopLeftPadding(out, in, kernel, strides, dilation);
        } else {
            out = ConvolutionUtils.getOutputSize(input, kernel, strides, pad, mode, dilation, format);
            before = pad;
        }
        long[] padR = new long[2];
        for (int i = 0; i < 2; i++) {
            long span = (long) (kernel[i] - 1) * dilation[i] + 1;
            padR[i] = mode == ConvolutionMode.Same
                    ? Math.max(0, (long) (out[i] - 1) * strides[i] + span - in[i] - before[i]) : before[i];
            // oneDNN's own rule for the output size must give DL4J's
            if (before[i] < 0 || (in[i] + before[i] + padR[i] - span) / strides[i] + 1 != out[i]) {
                return null;
            }
        }
        long n = input.size(0);
        return new Geometry(new long[]{n, input.size(1), in[0], in[1]}, weights.shape(),
                new long[]{n, weights.size(0), out[0], out[1]}, new long[]{strides[0], strides[1]},
                new long[]{dilation[0] - 1L, dilation[1] - 1L}, new long[]{before[0], before[1]}, padR, bias);
    }

    /** {@code out = conv(input, weights) + bias}; {@code out} is a dense C-order array of {@code g.dst()}. */
    void forward(Geometry g, INDArray input, INDArray weights, INDArray bias, INDArray out) {
        Primitives p = primitivesFor(g);
        stream s = OneDnn.stream();
        try (PointerScope ignored = new PointerScope()) {
            memory src = p.src.in(s, input);
            memory w = p.weights.in(s, weights);
            IntMemoryMap args = new IntMemoryMap().put(DNNL_ARG_SRC, src).put(DNNL_ARG_WEIGHTS, w);
            if (g.bias()) {
                args.put(DNNL_ARG_BIAS, OneDnn.user(p.biasDesc, bias));
            }
            memory dst = p.dst.target(out);
            args.put(DNNL_ARG_DST, dst);
            p.forward.execute(s, args);
            p.dst.out(s, dst, out);
            s._wait();
        }
    }

    /**
     * The gradients of {@link #forward} given {@code delta}, the gradient at its output: {@code gradInput} (dense,
     * the input's shape; {@code null} skips the backward-data pass), {@code weightGrad} (dense, OIHW) and, with a
     * bias, {@code biasGrad} ({@code nOut} elements), all overwritten.
     */
    void backward(Geometry g, INDArray input, INDArray weights, INDArray delta, INDArray gradInput,
                  INDArray weightGrad, INDArray biasGrad) {
        Primitives p = primitivesFor(g);
        stream s = OneDnn.stream();
        // the weight gradient first, then the input gradient, each in its own scope: at most two temporaries of the
        // activations' size are alive at once (the gradient at the output, and the input or the input's gradient)
        try (PointerScope ignored = new PointerScope()) {
            memory dDst = gradInput == null ? null : p.diffDstForData.in(s, delta);
            try (PointerScope weightPass = new PointerScope()) {
                memory src = p.srcForWeights.in(s, input);
                memory dDstW = dDst != null && p.diffDstForWeights.sameLayoutAs(p.diffDstForData) ? dDst
                        : p.diffDstForWeights.in(s, delta);
                memory dW = p.diffWeights.target(weightGrad);
                IntMemoryMap args = new IntMemoryMap().put(DNNL_ARG_SRC, src).put(DNNL_ARG_DIFF_DST, dDstW)
                        .put(DNNL_ARG_DIFF_WEIGHTS, dW);
                if (g.bias()) {
                    args.put(DNNL_ARG_DIFF_BIAS, OneDnn.user(p.biasDesc, biasGrad));
                }
                p.backwardWeights.execute(s, args);
                p.diffWeights.out(s, dW, weightGrad);
                s._wait();
            }
            if (gradInput == null) {
                return;
            }
            try (PointerScope dataPass = new PointerScope()) {
                memory w = p.weightsForData.in(s, weights);
                memory dSrc = p.diffSrc.target(gradInput);
                p.backwardData.execute(s, new IntMemoryMap().put(DNNL_ARG_DIFF_DST, dDst).put(DNNL_ARG_WEIGHTS, w)
                        .put(DNNL_ARG_DIFF_SRC, dSrc));
                p.diffSrc.out(s, dSrc, gradInput);
                s._wait();
            }
        }
    }

    private Primitives primitivesFor(Geometry g) {
        if (!g.sameAs(cached)) {
            primitives.values().forEach(Primitives::close);
            primitives.clear();
            cached = g;
        }
        return primitives.computeIfAbsent(OneDnn.threads(), threads -> new Primitives(g));
    }

    /**
     * One tensor's place in one primitive: DL4J's plain layout (the user's), the layout the primitive chose, and the
     * conversion between them, built once; none where the two are the same.
     */
    private static final class Slot {
        final memory.desc plain;
        final memory.desc chosen;
        final OneDnn.Executable conversion;

        /** @param toChosen whether data flows from DL4J's array into the primitive (an input) or back (an output) */
        Slot(memory.desc plain, memory.desc chosen, boolean toChosen, List<Pointer> owner) {
            this.plain = OneDnn.kept(plain, owner);
            this.chosen = OneDnn.kept(chosen, owner);
            this.conversion = plain.equals(chosen) ? null : conversion(toChosen ? plain : chosen,
                    toChosen ? chosen : plain, owner);
        }

        private static OneDnn.Executable conversion(memory.desc from, memory.desc to, List<Pointer> owner) {
            reorder.primitive_desc pd = new reorder.primitive_desc(OneDnn.cpu(), from, OneDnn.cpu(), to,
                    OneDnn.userScratchpad(), false);
            return new OneDnn.Executable(new reorder(pd), pd.scratchpad_desc(), owner);
        }

        boolean sameLayoutAs(Slot o) {
            return chosen.equals(o.chosen);
        }

        /** The array as the primitive reads it: itself, or converted into a temporary of the scope. */
        memory in(stream s, INDArray a) {
            memory m = OneDnn.user(plain, a);
            if (conversion == null) {
                return m;
            }
            memory converted = new memory(chosen, OneDnn.cpu());
            conversion.execute(s, new IntMemoryMap().put(DNNL_ARG_SRC, m).put(DNNL_ARG_DST, converted));
            return converted;
        }

        /** Where the primitive writes: the array itself, or a temporary that {@link #out} converts into it. */
        memory target(INDArray a) {
            return conversion == null ? OneDnn.user(plain, a) : new memory(chosen, OneDnn.cpu());
        }

        void out(stream s, memory written, INDArray a) {
            if (conversion != null) {
                conversion.execute(s, new IntMemoryMap().put(DNNL_ARG_SRC, written)
                        .put(DNNL_ARG_DST, OneDnn.user(plain, a)));
            }
        }
    }

    /** The three primitives of one geometry and their conversions. */
    private static final class Primitives implements AutoCloseable {
        /** Inputs with fewer channels than this stay in NCHW for the forward pass. */
        private static final long FEW_CHANNELS = 8;
        private final List<Pointer> owned = new ArrayList<>();
        final memory.desc biasDesc;
        final OneDnn.Executable forward;
        final Slot src;
        final Slot weights;
        final Slot dst;
        final OneDnn.Executable backwardData;
        final Slot diffDstForData;
        final Slot weightsForData;
        final Slot diffSrc;
        final OneDnn.Executable backwardWeights;
        final Slot srcForWeights;
        final Slot diffDstForWeights;
        final Slot diffWeights;

        Primitives(Geometry g) {
            // everything made here that is not kept is freed when the scope closes
            try (PointerScope ignored = new PointerScope()) {
                primitive_attr attr = OneDnn.userScratchpad();
                memory.desc srcPlain = desc(g.src(), memory.format_tag.nchw);
                memory.desc weightsPlain = desc(g.weights(), memory.format_tag.oihw);
                memory.desc dstPlain = desc(g.dst(), memory.format_tag.nchw);
                biasDesc = g.bias() ? OneDnn.kept(desc(new long[]{g.dst()[1]}, memory.format_tag.x), owned) : null;
                memory.desc srcAny = desc(g.src(), memory.format_tag.any);
                // an input of a few channels (an image) is read as it is, as PyTorch's oneDNN does: the blocked
                // layout would pad it to 16 channels, converting and convolving 16 times the data
                memory.desc srcForward = g.src()[1] < FEW_CHANNELS ? srcPlain : srcAny;
                memory.desc weightsAny = desc(g.weights(), memory.format_tag.any);
                memory.desc dstAny = desc(g.dst(), memory.format_tag.any);

                convolution_forward.primitive_desc fwd = new convolution_forward.primitive_desc(g.bias()
                        ? new convolution_forward.desc(prop_kind.forward_training, algorithm.convolution_auto,
                        srcForward, weightsAny, biasDesc, dstAny, g.strides(), g.dilates(), g.padL(), g.padR())
                        : new convolution_forward.desc(prop_kind.forward_training, algorithm.convolution_auto,
                        srcForward, weightsAny, dstAny, g.strides(), g.dilates(), g.padL(), g.padR()), attr,
                        OneDnn.cpu());
                forward = new OneDnn.Executable(new convolution_forward(fwd), fwd.scratchpad_desc(), owned);
                src = new Slot(srcPlain, fwd.src_desc(), true, owned);
                weights = new Slot(weightsPlain, fwd.weights_desc(), true, owned);
                dst = new Slot(dstPlain, fwd.dst_desc(), false, owned);

                convolution_backward_data.primitive_desc bd = new convolution_backward_data.primitive_desc(
                        new convolution_backward_data.desc(algorithm.convolution_auto, srcAny, weightsAny, dstAny,
                                g.strides(), g.dilates(), g.padL(), g.padR()), attr, OneDnn.cpu(), fwd);
                backwardData = new OneDnn.Executable(new convolution_backward_data(bd), bd.scratchpad_desc(), owned);
                diffDstForData = new Slot(dstPlain, bd.diff_dst_desc(), true, owned);
                weightsForData = new Slot(weightsPlain, bd.weights_desc(), true, owned);
                diffSrc = new Slot(srcPlain, bd.diff_src_desc(), false, owned);

                convolution_backward_weights.primitive_desc bw = new convolution_backward_weights.primitive_desc(
                        g.bias() ? new convolution_backward_weights.desc(algorithm.convolution_auto, srcAny,
                                weightsAny, biasDesc, dstAny, g.strides(), g.dilates(), g.padL(), g.padR())
                                : new convolution_backward_weights.desc(algorithm.convolution_auto, srcAny,
                                weightsAny, dstAny, g.strides(), g.dilates(), g.padL(), g.padR()), attr,
                        OneDnn.cpu(), fwd);
                backwardWeights = new OneDnn.Executable(new convolution_backward_weights(bw), bw.scratchpad_desc(),
                        owned);
                srcForWeights = new Slot(srcPlain, bw.src_desc(), true, owned);
                diffDstForWeights = new Slot(dstPlain, bw.diff_dst_desc(), true, owned);
                diffWeights = new Slot(weightsPlain, bw.diff_weights_desc(), false, owned);
            }
        }

        private static memory.desc desc(long[] dims, memory.format_tag tag) {
            return new memory.desc(dims, memory.data_type.f32, tag);
        }

        @Override
        public void close() {
            OneDnn.release(owned);
        }
    }
}

package dev.infopro.dl4j.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Interpolation matrices of bilinear resizing with {@code align_corners = true}, computed exactly as PyTorch's
 * {@code F.interpolate(mode="bilinear", align_corners=True)} does: source coordinate {@code i * (in-1)/(out-1)}
 * ({@code 0} when {@code out == 1}), lower index {@code floor}, upper index clamped to {@code in-1}.
 *
 * <p>Bilinear resizing is separable, so {@code out = A_h X A_w^T} per (example, channel) slice; its exact
 * gradient is {@code A_h^T G A_w}.
 */
public final class BilinearInterpolation {
    private BilinearInterpolation() {
    }

    /**
     * The {@code [out, in]} interpolation matrix of one axis, as a detached array (safe to cache across
     * workspaces).
     *
     * @param in    input size of the axis, at least 1
     * @param out   output size of the axis, at least 1
     * @param dtype data type of the matrix
     * @return {@code A} with {@code A[i, i0] = 1 - f}, {@code A[i, i1] += f}
     */
    public static INDArray matrix(long in, long out, DataType dtype) {
        double[][] a = weights(in, out);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.create(a).castTo(dtype);
        }
    }

    /** The interpolation weights as a plain Java matrix {@code [out][in]}. */
    public static double[][] weights(long in, long out) {
        Taps t = taps(in, out);
        double[][] a = new double[(int) out][(int) in];
        for (int i = 0; i < out; i++) {
            a[i][t.lo[i]] += t.wLo[i];
            a[i][t.hi[i]] += t.wHi[i];
        }
        return a;
    }

    /**
     * The same weights by output index: output {@code i} is {@code wLo[i] * x[lo[i]] + wHi[i] * x[hi[i]]} (the two
     * taps coincide at the last input index).
     */
    public static Taps taps(long in, long out) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Bilinear interpolation needs sizes >= 1, got in=" + in + ", out=" + out);
        }
        Taps t = new Taps((int) out);
        // PyTorch: scale = (in-1)/(out-1) for out > 1, else 0; src = scale * i.
        double scale = out > 1 ? (double) (in - 1) / (double) (out - 1) : 0.0;
        for (int i = 0; i < out; i++) {
            double src = scale * i;
            int i0 = (int) Math.floor(src);
            if (i0 > in - 1) {
                i0 = (int) (in - 1);
            }
            double f = src - i0;
            t.lo[i] = i0;
            t.hi[i] = (int) Math.min(i0 + 1, in - 1);
            t.wLo[i] = 1.0 - f;
            t.wHi[i] = f;
        }
        return t;
    }

    /** The two input indices and weights of each output index along one axis; see {@link #taps(long, long)}. */
    public static final class Taps {
        /** Lower input index of each output index. */
        public final int[] lo;
        /** Upper input index (clamped to the last one). */
        public final int[] hi;
        /** Weight of the lower index, {@code 1 - f}. */
        public final double[] wLo;
        /** Weight of the upper index, {@code f}. */
        public final double[] wHi;

        Taps(int out) {
            lo = new int[out];
            hi = new int[out];
            wLo = new double[out];
            wHi = new double[out];
        }
    }
}

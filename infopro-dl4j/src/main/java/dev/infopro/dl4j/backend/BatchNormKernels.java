package dev.infopro.dl4j.backend;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.function.IntConsumer;

/**
 * Batch normalisation over the channels of a float NCHW tensor, computed in Java, one channel at a time: each
 * channel of the batch is copied once out of the array into a per-thread buffer, every pass reads it there, and the
 * result is written back once (forward: one read and one write of the tensor, both sums from one pass shifted by the
 * mean of the channel's first row; backward: two reads, of the input and of the gradient, and one write).
 *
 * <p>Why not libnd4j: in 1.0.0-M2.1 DL4J's oneDNN path computes the batch mean and variance with two separate
 * reductions over (N, H, W) before the batch-norm op, and its oneDNN {@code batchnorm_bp} costs about three ReLUs over
 * the same tensor; these kernels take a third to a half of that time (docs/benchmarks.md, "Batch norm in Java" and
 * "Batch norm in float").
 *
 * <p>Float only: the element-wise passes run in float on the copied channels, which the JIT vectorises; the sums
 * are taken in float over a few elements at a time and added up in double, so that they keep their digits over a
 * whole batch. Double arrays, which only gradient checks and parity tests use, stay on DL4J's own
 * code ({@link FusedBatchNormHelper}). Channels are spread over the common fork-join pool ({@link ParallelChunks});
 * each channel is summed by one thread in a fixed order, so results do not depend on the number of threads.
 */
final class BatchNormKernels {
    private BatchNormKernels() {
    }

    /** Batch statistics of one training step, per channel: mean, biased variance and 1 / sqrt(variance + eps). */
    static final class Statistics {
        final double[] mean;
        final double[] variance;
        final double[] invStd;

        Statistics(int channels) {
            mean = new double[channels];
            variance = new double[channels];
            invStd = new double[channels];
        }
    }

    /** An [N, C, H, W] array seen as N x C rows of H x W elements; a channel is one row of each example. */
    private record Layout(int n, int c, int hw) {
        static Layout of(INDArray x) {
            int n = (int) x.size(0);
            int c = (int) x.size(1);
            return new Layout(n, c, (int) (x.length() / ((long) n * c)));
        }

        /** Offset of example {@code i}'s row of channel {@code ch}. */
        int row(int i, int ch) {
            return Math.toIntExact(((long) i * c + ch) * hw);
        }

        /** Elements per channel over the batch. */
        double count() {
            return (double) n * hw;
        }

        /** Elements per channel over the batch, as an array length. */
        int perChannel() {
            return Math.toIntExact((long) n * hw);
        }
    }

    /** Whether the kernels take {@code x}: a float array, dense in C order with no offset. */
    static boolean accepts(INDArray x) {
        return x.dataType() == DataType.FLOAT && ArrayElements.readable(x);
    }

    private static FloatBuffer floats(INDArray a) {
        if (!accepts(a)) {
            throw new IllegalArgumentException("need a float array, dense in C order, with no offset; got "
                    + a.shapeInfoToString().replace('\n', ' '));
        }
        return a.data().asNioFloat();
    }

    /**
     * Training forward pass: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta} with the batch's mean and biased
     * variance per channel; returns those statistics. {@code x} and {@code y} are [N, C, H, W] arrays that the kernels
     * {@link #accepts}.
     */
    static Statistics forwardTraining(INDArray x, INDArray y, double[] gamma, double[] beta, double eps) {
        Layout l = Layout.of(x);
        FloatBuffer in = floats(x);
        FloatBuffer out = floats(y);
        Statistics s = new Statistics(l.c());
        forEachChannel(x.length(), l.c(), ch -> {
            float[] xs = load(in, l, ch, 0);
            // one sweep for both sums, shifted by the first row's mean: E[x^2] - m^2 loses the digits when |m| is
            // much larger than the spread, sums of (x - k)^2 with k near m do not (the shifted-data algorithm)
            double[] sums = new double[2];
            addSumAndDot(xs, 0, xs, 0, l.hw(), sums);
            float k = (float) (sums[0] / l.hw());
            sums[0] = 0;
            sums[1] = 0;
            addSumAndDot(xs, k, xs, k, l.perChannel(), sums);
            double offset = sums[0] / l.count();
            double m = k + offset;
            double var = Math.max(0, sums[1] - sums[0] * offset) / l.count();
            double inv = 1.0 / Math.sqrt(var + eps);
            s.mean[ch] = m;
            s.variance[ch] = var;
            s.invStd[ch] = inv;
            normalise(xs, l.perChannel(), (float) m, (float) (gamma[ch] * inv), (float) beta[ch]);
            store(xs, l, ch, out);
        });
        return s;
    }

    /** Inference forward pass with given per-channel mean and variance. */
    static void forwardInference(INDArray x, INDArray y, double[] gamma, double[] beta, double[] mean,
                                 double[] variance, double eps) {
        Layout l = Layout.of(x);
        FloatBuffer in = floats(x);
        FloatBuffer out = floats(y);
        forEachChannel(x.length(), l.c(), ch -> {
            float[] xs = load(in, l, ch, 0);
            normalise(xs, l.perChannel(), (float) mean[ch], (float) (gamma[ch] / Math.sqrt(variance[ch] + eps)),
                    (float) beta[ch]);
            store(xs, l, ch, out);
        });
    }

    // x = (x - m) * a + b over the first `length` elements; x - m first, so that a mean far from zero cancels before
    // it is scaled
    private static void normalise(float[] x, int length, float m, float a, float b) {
        for (int k = 0; k < length; k++) {
            x[k] = (x[k] - m) * a + b;
        }
    }

    /**
     * Backward pass through the training forward pass, the batch statistics included:
     * {@code dx = gamma * invStd * (dy - mean(dy) - (x - mean) * mean(dy * (x - mean)) * invStd^2)},
     * {@code dGamma = sum(dy * (x - mean)) * invStd}, {@code dBeta = sum(dy)}. {@code dGamma} and {@code dBeta}
     * receive one value per channel; {@code dx} may be {@code null}, which skips its pass.
     */
    static void backward(INDArray x, INDArray dy, INDArray dx, double[] gamma, Statistics s, double[] dGamma,
                         double[] dBeta) {
        Layout l = Layout.of(x);
        FloatBuffer in = floats(x);
        FloatBuffer grad = floats(dy);
        FloatBuffer out = dx == null ? null : floats(dx);
        forEachChannel(x.length(), l.c(), ch -> {
            float[] xs = load(in, l, ch, 0);
            float[] dys = load(grad, l, ch, 1);
            int length = l.perChannel();
            float m = (float) s.mean[ch];
            double[] sums = new double[2];
            addSumAndDot(dys, 0, xs, m, length, sums);
            double inv = s.invStd[ch];
            dBeta[ch] = sums[0];
            dGamma[ch] = sums[1] * inv;
            if (out == null) {
                return;
            }
            float scale = (float) (gamma[ch] * inv);
            float meanDy = (float) (sums[0] / l.count());
            float xmuFactor = (float) (sums[1] / l.count() * inv * inv);
            for (int k = 0; k < length; k++) {
                dys[k] = scale * (dys[k] - meanDy - (xs[k] - m) * xmuFactor);
            }
            store(dys, l, ch, out);
        });
    }

    /**
     * Elements of the per-thread channel buffers kept between calls (8 MiB each); a longer channel gets buffers of
     * its own for the call.
     */
    private static final int KEPT_CHANNEL = 1 << 21;
    private static final ThreadLocal<float[][]> CHANNEL = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * Channel {@code ch} of the batch, its N rows one after the other, copied into this thread's buffer
     * {@code which} (0 or 1; its first {@link Layout#perChannel} elements). One copy per channel, which every pass
     * then reads from the cache: copying row by row for each pass made the copies a third of the kernels' time.
     */
    private static float[] load(FloatBuffer src, Layout l, int ch, int which) {
        int length = l.perChannel();
        float[][] kept = CHANNEL.get();
        float[] buffer = kept[which];
        if (buffer.length < length) {
            buffer = new float[length];
            if (length <= KEPT_CHANNEL) {
                kept[which] = buffer;
            }
        }
        for (int i = 0; i < l.n(); i++) {
            src.get(l.row(i, ch), buffer, i * l.hw(), l.hw());
        }
        return buffer;
    }

    /** Writes a channel that {@link #load} read back into {@code dst}. */
    private static void store(float[] channel, Layout l, int ch, FloatBuffer dst) {
        for (int i = 0; i < l.n(); i++) {
            dst.put(l.row(i, ch), channel, i * l.hw(), l.hw());
        }
    }

    /** Elements summed in float before the partial sums go into the double totals: 256 per running sum. */
    private static final int FLOAT_BLOCK = 1024;

    /**
     * Adds the sum of {@code a[j] - ka} to {@code sums[0]} and the sum of {@code (a[j] - ka) * (b[j] - kb)} to
     * {@code sums[1]}, over the first {@code length} elements. Each element's terms are float, summed in float over
     * blocks of {@value #FLOAT_BLOCK} elements (four running sums of each, side by side: one running sum waits for
     * each addition to finish, independent ones overlap, and the JIT does not reorder floating-point sums by itself),
     * and each block's sums are added to the double totals. The order is fixed, so results do not depend on the
     * number of threads.
     */
    static void addSumAndDot(float[] a, float ka, float[] b, float kb, int length, double[] sums) {
        for (int from = 0; from < length; from += FLOAT_BLOCK) {
            int to = Math.min(length, from + FLOAT_BLOCK);
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            float p0 = 0;
            float p1 = 0;
            float p2 = 0;
            float p3 = 0;
            int j = from;
            for (; j + 3 < to; j += 4) {
                float a0 = a[j] - ka;
                float a1 = a[j + 1] - ka;
                float a2 = a[j + 2] - ka;
                float a3 = a[j + 3] - ka;
                s0 += a0;
                s1 += a1;
                s2 += a2;
                s3 += a3;
                p0 += a0 * (b[j] - kb);
                p1 += a1 * (b[j + 1] - kb);
                p2 += a2 * (b[j + 2] - kb);
                p3 += a3 * (b[j + 3] - kb);
            }
            for (; j < to; j++) {
                float aj = a[j] - ka;
                s0 += aj;
                p0 += aj * (b[j] - kb);
            }
            sums[0] += (double) s0 + s1 + s2 + s3;
            sums[1] += (double) p0 + p1 + p2 + p3;
        }
    }

    private static void forEachChannel(long elements, int channels, IntConsumer body) {
        ParallelChunks.run(channels, elements, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                body.accept(ch);
            }
        });
    }
}

package dev.infopro.dl4j.backend;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.function.IntConsumer;

/**
 * Batch normalisation over the channels of an NCHW tensor, computed in Java, one channel at a time: the batch
 * statistics and the normalised output in one sweep per channel (two reads, one write: both sums come from one read,
 * shifted by the mean of the channel's first row), the backward pass in two (four reads, one write).
 *
 * <p>Why not libnd4j: in 1.0.0-M2.1 DL4J's oneDNN path computes the batch mean and variance with two separate
 * reductions over (N, H, W) before the batch-norm op, and its oneDNN {@code batchnorm_bp} costs about three ReLUs over
 * the same tensor; replacing both makes whole training steps 3-15% faster (docs/benchmarks.md, "Batch norm in
 * Java"). Arithmetic is in double for every data type; the arrays are read and written in their own type.
 * Channels are spread over the common fork-join pool ({@link ParallelChunks}); each channel is summed by one thread in
 * a fixed order, so results do not depend on the number of threads.
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
        long row(int i, int ch) {
            return ((long) i * c + ch) * hw;
        }

        /** Elements per channel over the batch. */
        double count() {
            return (double) n * hw;
        }
    }

    /**
     * Training forward pass: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta} with the batch's mean and biased
     * variance per channel; returns those statistics. {@code x} and {@code y} are [N, C, H, W] and
     * {@link ArrayElements#readable(INDArray)}.
     */
    static Statistics forwardTraining(INDArray x, INDArray y, double[] gamma, double[] beta, double eps) {
        Layout l = Layout.of(x);
        ArrayElements in = ArrayElements.of(x);
        ArrayElements out = ArrayElements.of(y);
        Statistics s = new Statistics(l.c());
        forEachChannel(x.length(), l.c(), ch -> {
            double[] row = new double[l.hw()];
            // one sweep for both sums, shifted by the first row's mean: E[x^2] - m^2 loses the digits when |m| is
            // much larger than the spread, sums of (x - k)^2 with k near m do not (the shifted-data algorithm)
            in.read(l.row(0, ch), row);
            double[] sums = new double[2];
            addSumAndDot(row, row, sums);
            double k = sums[0] / row.length;
            sums[0] = 0;
            sums[1] = 0;
            for (int i = 0; i < l.n(); i++) {
                in.read(l.row(i, ch), row);
                shift(row, k);
                addSumAndDot(row, row, sums);
            }
            double offset = sums[0] / l.count();
            double m = k + offset;
            double sq = Math.max(0, sums[1] - sums[0] * offset);
            double var = sq / l.count();
            double inv = 1.0 / Math.sqrt(var + eps);
            s.mean[ch] = m;
            s.variance[ch] = var;
            s.invStd[ch] = inv;
            scaleShift(in, out, l, ch, row, gamma[ch] * inv, beta[ch] - m * gamma[ch] * inv);
        });
        return s;
    }

    /** Inference forward pass with given per-channel mean and variance. */
    static void forwardInference(INDArray x, INDArray y, double[] gamma, double[] beta, double[] mean,
                                 double[] variance, double eps) {
        Layout l = Layout.of(x);
        ArrayElements in = ArrayElements.of(x);
        ArrayElements out = ArrayElements.of(y);
        forEachChannel(x.length(), l.c(), ch -> {
            double a = gamma[ch] / Math.sqrt(variance[ch] + eps);
            scaleShift(in, out, l, ch, new double[l.hw()], a, beta[ch] - mean[ch] * a);
        });
    }

    // y = a * x + b over one channel, row by row through the buffer `row`
    private static void scaleShift(ArrayElements in, ArrayElements out, Layout l, int ch, double[] row, double a,
                                   double b) {
        for (int i = 0; i < l.n(); i++) {
            in.read(l.row(i, ch), row);
            for (int k = 0; k < row.length; k++) {
                row[k] = row[k] * a + b;
            }
            out.write(l.row(i, ch), row);
        }
    }

    /**
     * Backward pass through the training forward pass, the batch statistics included:
     * {@code dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))}, {@code dGamma = sum(dy * xhat)},
     * {@code dBeta = sum(dy)}. {@code dGamma} and {@code dBeta} receive one value per channel.
     */
    static void backward(INDArray x, INDArray dy, INDArray dx, double[] gamma, Statistics s, double[] dGamma,
                         double[] dBeta) {
        Layout l = Layout.of(x);
        ArrayElements in = ArrayElements.of(x);
        ArrayElements grad = ArrayElements.of(dy);
        ArrayElements out = ArrayElements.of(dx);
        forEachChannel(x.length(), l.c(), ch -> {
            double[] row = new double[l.hw()];
            double[] drow = new double[l.hw()];
            double m = s.mean[ch];
            double[] sums = new double[2];
            for (int i = 0; i < l.n(); i++) {
                in.read(l.row(i, ch), row);
                grad.read(l.row(i, ch), drow);
                shift(row, m);
                addSumAndDot(drow, row, sums);
            }
            double sumDy = sums[0];
            double sumDyXmu = sums[1];
            double inv = s.invStd[ch];
            dBeta[ch] = sumDy;
            dGamma[ch] = sumDyXmu * inv;
            double scale = gamma[ch] * inv;
            double meanDy = sumDy / l.count();
            double xmuFactor = sumDyXmu / l.count() * inv * inv;
            for (int i = 0; i < l.n(); i++) {
                in.read(l.row(i, ch), row);
                grad.read(l.row(i, ch), drow);
                for (int k = 0; k < row.length; k++) {
                    drow[k] = scale * (drow[k] - meanDy - (row[k] - m) * xmuFactor);
                }
                out.write(l.row(i, ch), drow);
            }
        });
    }

    /**
     * Adds the sum of {@code a} to {@code sums[0]} and the sum of {@code a[j] * b[j]} to {@code sums[1]}. Two partial
     * sums each run side by side: one running sum waits for each addition to finish (about four cycles), independent
     * ones overlap, and the JIT does not reorder floating-point sums by itself. The order is still fixed, so results
     * do not depend on the number of threads.
     */
    static void addSumAndDot(double[] a, double[] b, double[] sums) {
        double s0 = 0;
        double s1 = 0;
        double p0 = 0;
        double p1 = 0;
        int j = 0;
        for (; j + 1 < a.length; j += 2) {
            s0 += a[j];
            s1 += a[j + 1];
            p0 += a[j] * b[j];
            p1 += a[j + 1] * b[j + 1];
        }
        for (; j < a.length; j++) {
            s0 += a[j];
            p0 += a[j] * b[j];
        }
        sums[0] += s0 + s1;
        sums[1] += p0 + p1;
    }

    /** Subtracts {@code k} from every element of {@code v}. */
    private static void shift(double[] v, double k) {
        for (int j = 0; j < v.length; j++) {
            v[j] -= k;
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

package dev.infopro.dl4j.backend;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.stream.IntStream;

/**
 * Batch normalisation over the channels of an NCHW tensor, computed in Java, one channel at a time: the batch
 * statistics and the normalised output in one sweep per channel (three reads, one write), the backward pass in two
 * (four reads, one write).
 *
 * <p>Why not libnd4j: in 1.0.0-M2.1 DL4J's oneDNN path computes the batch mean and variance with two separate
 * reductions over (N, H, W) before the batch-norm op, and its oneDNN {@code batchnorm_bp} costs about three ReLUs over
 * the same tensor; replacing both makes whole training steps 3-15% faster (docs/benchmarks.md, "Batch norm in
 * Java"). Arithmetic is in double for every data type; the arrays are read and written in their own
 * type. Channels are spread over the common fork-join pool; each channel is summed by one thread in a fixed order,
 * so results do not depend on the number of threads.
 */
final class BatchNormKernels {
    // below this many elements the fork-join hand-off costs more than it saves
    private static final long PARALLEL_THRESHOLD = 1L << 15;

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

    /**
     * Training forward pass: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta} with the batch's mean and biased
     * variance per channel; returns those statistics. {@code x} and {@code y} are [N, C, H, W] and
     * {@link ArrayElements#readable(INDArray)}.
     */
    static Statistics forwardTraining(INDArray x, INDArray y, double[] gamma, double[] beta, double eps) {
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        int hw = (int) (x.length() / ((long) n * c));
        double count = (double) n * hw;
        ArrayElements in = ArrayElements.of(x);
        ArrayElements out = ArrayElements.of(y);
        Statistics s = new Statistics(c);
        forEachChannel(x.length(), c, ch -> {
            double[] row = new double[hw];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                in.read(((long) i * c + ch) * hw, row);
                for (int k = 0; k < hw; k++) {
                    sum += row[k];
                }
            }
            double m = sum / count;
            // second sweep for the variance: E[x^2] - m^2 loses the digits when |m| is much larger than the spread
            double sq = 0;
            for (int i = 0; i < n; i++) {
                in.read(((long) i * c + ch) * hw, row);
                for (int k = 0; k < hw; k++) {
                    double d = row[k] - m;
                    sq += d * d;
                }
            }
            double var = sq / count;
            double inv = 1.0 / Math.sqrt(var + eps);
            s.mean[ch] = m;
            s.variance[ch] = var;
            s.invStd[ch] = inv;
            scaleShift(in, out, n, c, hw, ch, row, gamma[ch] * inv, beta[ch] - m * gamma[ch] * inv);
        });
        return s;
    }

    /** Inference forward pass with given per-channel mean and variance. */
    static void forwardInference(INDArray x, INDArray y, double[] gamma, double[] beta, double[] mean,
                                 double[] variance, double eps) {
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        int hw = (int) (x.length() / ((long) n * c));
        ArrayElements in = ArrayElements.of(x);
        ArrayElements out = ArrayElements.of(y);
        forEachChannel(x.length(), c, ch -> {
            double a = gamma[ch] / Math.sqrt(variance[ch] + eps);
            scaleShift(in, out, n, c, hw, ch, new double[hw], a, beta[ch] - mean[ch] * a);
        });
    }

    private static void scaleShift(ArrayElements in, ArrayElements out, int n, int c, int hw, int ch, double[] row,
                                   double a, double b) {
        for (int i = 0; i < n; i++) {
            long base = ((long) i * c + ch) * hw;
            in.read(base, row);
            for (int k = 0; k < hw; k++) {
                row[k] = row[k] * a + b;
            }
            out.write(base, row);
        }
    }

    /**
     * Backward pass through the training forward pass, the batch statistics included:
     * {@code dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))}, {@code dGamma = sum(dy * xhat)},
     * {@code dBeta = sum(dy)}. {@code dGamma} and {@code dBeta} receive one value per channel.
     */
    static void backward(INDArray x, INDArray dy, INDArray dx, double[] gamma, Statistics s, double[] dGamma,
                         double[] dBeta) {
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        int hw = (int) (x.length() / ((long) n * c));
        double count = (double) n * hw;
        ArrayElements in = ArrayElements.of(x);
        ArrayElements grad = ArrayElements.of(dy);
        ArrayElements out = ArrayElements.of(dx);
        forEachChannel(x.length(), c, ch -> {
            double[] row = new double[hw];
            double[] drow = new double[hw];
            double m = s.mean[ch];
            double sumDy = 0;
            double sumDyXmu = 0;
            for (int i = 0; i < n; i++) {
                long base = ((long) i * c + ch) * hw;
                in.read(base, row);
                grad.read(base, drow);
                for (int k = 0; k < hw; k++) {
                    sumDy += drow[k];
                    sumDyXmu += drow[k] * (row[k] - m);
                }
            }
            double inv = s.invStd[ch];
            dBeta[ch] = sumDy;
            dGamma[ch] = sumDyXmu * inv;
            double scale = gamma[ch] * inv;
            double meanDy = sumDy / count;
            double xmuFactor = sumDyXmu / count * inv * inv;
            for (int i = 0; i < n; i++) {
                long base = ((long) i * c + ch) * hw;
                in.read(base, row);
                grad.read(base, drow);
                for (int k = 0; k < hw; k++) {
                    drow[k] = scale * (drow[k] - meanDy - (row[k] - m) * xmuFactor);
                }
                out.write(base, drow);
            }
        });
    }

    private static void forEachChannel(long elements, int channels, java.util.function.IntConsumer body) {
        IntStream range = IntStream.range(0, channels);
        (elements >= PARALLEL_THRESHOLD ? range.parallel() : range).forEach(body);
    }
}

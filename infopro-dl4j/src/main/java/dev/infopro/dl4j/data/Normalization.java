package dev.infopro.dl4j.data;

import lombok.AccessLevel;
import lombok.NoArgsConstructor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.preprocessor.DataNormalization;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerMinMaxScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Optional;

/**
 * Per-channel normalisation of images scaled to [0, 1]: {@code x = (v/255 - mean[c]) / std[c]}. The one class for
 * it: the data readers and the iterator normalise with it, and local training keeps it in its configuration to
 * rebuild the reconstruction target in [0, 1] as {@code x01 = x * std[c] + mean[c]} (docs/method.md §2.3).
 * {@link #toNd4j()} gives the same statistics as ND4J's {@link NormalizerStandardize}, for DL4J pipelines.
 * Immutable; JSON-serialisable.
 */
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public final class Normalization implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double[] mean;
    private final double[] std;

    private Normalization(double[] mean, double[] std, String what) {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException(what + " needs mean and std of equal, non-zero length (one value per"
                    + " channel), got mean=" + Arrays.toString(mean) + " std=" + Arrays.toString(std));
        }
        for (double s : std) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("Every std must be positive and finite, got "
                        + Arrays.toString(std));
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /**
     * @param mean per-channel mean (in [0, 1] units)
     * @param std  per-channel standard deviation (positive)
     */
    public Normalization(float[] mean, float[] std) {
        this(toDouble(mean), toDouble(std), "Normalization");
    }

    /**
     * Per-channel statistics in double precision, e.g. those a network was trained with.
     *
     * @param mean per-channel mean (one value per input channel)
     * @param std  per-channel standard deviation, same length as mean, all &gt; 0
     */
    public static Normalization of(double[] mean, double[] std) {
        return new Normalization(mean, std, "inputNormalization");
    }

    /**
     * @param channels number of channels
     * @param mean     mean used for every channel
     * @param std      std used for every channel
     * @return the same mean and std for all channels
     */
    public static Normalization uniform(int channels, float mean, float std) {
        float[] m = new float[channels];
        float[] s = new float[channels];
        Arrays.fill(m, mean);
        Arrays.fill(s, std);
        return new Normalization(m, s);
    }

    /**
     * The identity on [0, 1] data (mean 0, std 1): pixels are only scaled by 1/255, and the reconstruction target
     * is the input itself.
     *
     * @param channels number of channels
     * @return the normalisation
     */
    public static Normalization none(int channels) {
        return uniform(channels, 0f, 1f);
    }

    /**
     * Computes per-channel mean and (population) standard deviation of a dataset's pixels in [0, 1] units, in
     * double precision.
     *
     * @param data the dataset (usually the training split)
     * @return the statistics
     */
    public static Normalization fromDataset(ImageDataset data) {
        int c = data.channels();
        int plane = data.height() * data.width();
        long[] sum = new long[c];
        long[] sumSq = new long[c];
        byte[] px = data.pixels();
        for (int i = 0; i < data.size(); i++) {
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * plane;
                long s = 0;
                long q = 0;
                for (int k = 0; k < plane; k++) {
                    int v = px[base + k] & 0xff;
                    s += v;
                    q += v * v;
                }
                sum[ch] += s;
                sumSq[ch] += q;
            }
        }
        float[] m = new float[c];
        float[] sd = new float[c];
        double n = (double) data.size() * plane;
        for (int ch = 0; ch < c; ch++) {
            double mean = sum[ch] / n;
            double var = Math.max(0, sumSq[ch] / n - mean * mean);
            m[ch] = (float) (mean / 255.0);
            sd[ch] = (float) (Math.sqrt(var) / 255.0);
            if (!(sd[ch] > 0)) {
                sd[ch] = 1f; // a constant channel: avoid dividing by zero
            }
        }
        return new Normalization(m, sd);
    }

    /** @return a copy of the per-channel means, in float as the iterator uses them */
    public float[] mean() {
        return toFloat(mean);
    }

    /** @return a copy of the per-channel standard deviations, in float as the iterator uses them */
    public float[] std() {
        return toFloat(std);
    }

    /** @return a copy of the per-channel means in double precision */
    public double[] getMean() {
        return mean.clone();
    }

    /** @return a copy of the per-channel standard deviations in double precision */
    public double[] getStd() {
        return std.clone();
    }

    /** @return number of channels */
    public int channels() {
        return mean.length;
    }

    /**
     * @param channel channel index
     * @param value   uint8 pixel value 0..255
     * @return the normalised value as the iterator produces it, {@code (value/255f - mean) / std} in float
     */
    public float apply(int channel, int value) {
        return (value / 255f - (float) mean[channel]) / (float) std[channel];
    }

    /** @return a {@code [channels][256]} lookup table of {@link #apply} */
    float[][] lookupTable() {
        float[][] lut = new float[mean.length][256];
        for (int c = 0; c < mean.length; c++) {
            for (int v = 0; v < 256; v++) {
                lut[c][v] = apply(c, v);
            }
        }
        return lut;
    }

    /**
     * De-normalises {@code x} (channels on dimension 1, e.g. [N,C,H,W] or [N,C]) into a new array in [0, 1] units.
     *
     * @throws IllegalArgumentException when x's dimension 1 does not match the number of channels
     */
    public INDArray denormalize(INDArray x) {
        if (x.rank() < 2 || x.size(1) != mean.length) {
            throw new IllegalArgumentException("Input normalisation has " + mean.length + " channels but the features"
                    + " have shape " + Arrays.toString(x.shape()) + " (channels on dimension 1); set"
                    + " inputNormalization(mean, std) with one value per channel");
        }
        INDArray s = Nd4j.create(std).castTo(x.dataType());
        INDArray m = Nd4j.create(mean).castTo(x.dataType());
        INDArray out = x.dup();
        Broadcast.mul(out, s, out, 1);
        Broadcast.add(out, m, out, 1);
        return out;
    }

    /**
     * The normalisation a DL4J pre-processor applied to {@code features}, as the affine map that undoes it: read by
     * reverting a small probe (0, 1 and 2 in every feature) with the pre-processor's own {@code revertFeatures},
     * so it is exactly what DL4J would revert, per feature on dimension 1 (per channel for NCHW images, per column
     * for flat vectors). {@link NormalizerStandardize} and {@link NormalizerMinMaxScaler} revert to the raw data;
     * an {@link ImagePreProcessingScaler}'s raw data are pixel values, so its result is further divided by its
     * maximum pixel value, giving images in [0, 1].
     *
     * @param preProcessor the iterator's pre-processor (may be null)
     * @param features     a batch of features it produced (for the shape and data type)
     * @return the normalisation, or empty when the pre-processor is none of those three or does not revert
     *         affinely per feature
     */
    public static Optional<Normalization> fromPreProcessor(DataSetPreProcessor preProcessor, INDArray features) {
        boolean pixels = preProcessor instanceof ImagePreProcessingScaler;
        if (!(pixels || preProcessor instanceof NormalizerStandardize
                || preProcessor instanceof NormalizerMinMaxScaler) || features.rank() < 2) {
            return Optional.empty();
        }
        long[] shape = new long[features.rank()];
        Arrays.fill(shape, 1);
        shape[0] = 3;
        shape[1] = features.size(1);
        INDArray probe = Nd4j.create(features.dataType(), shape);
        for (int row = 0; row < 3; row++) {
            probe.slice(row).assign(row);
        }
        ((DataNormalization) preProcessor).revertFeatures(probe); // in place, on our probe only
        INDArray reverted = probe.reshape(3, shape[1]).castTo(DataType.DOUBLE);
        double scale = pixels ? ((ImagePreProcessingScaler) preProcessor).getMaxPixelVal() : 1.0;
        double[] zero = reverted.getRow(0).toDoubleVector();
        double[] one = reverted.getRow(1).toDoubleVector();
        double[] two = reverted.getRow(2).toDoubleVector();
        double[] mean = new double[zero.length];
        double[] std = new double[zero.length];
        for (int i = 0; i < zero.length; i++) {
            boolean affine = Math.abs(two[i] - (2 * one[i] - zero[i])) <= 1e-4 * (1 + Math.abs(two[i]));
            mean[i] = zero[i] / scale;
            std[i] = (one[i] - zero[i]) / scale;
            if (!affine || !(std[i] > 0) || Double.isInfinite(std[i])) {
                return Optional.empty();
            }
        }
        return Optional.of(of(mean, std));
    }

    /** The same statistics as ND4J's standardising pre-processor, for data already scaled to [0, 1]. */
    public NormalizerStandardize toNd4j() {
        return new NormalizerStandardize(Nd4j.create(mean).reshape(1, mean.length),
                Nd4j.create(std).reshape(1, std.length));
    }

    private static double[] toDouble(float[] v) {
        if (v == null) {
            return null;
        }
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization && Arrays.equals(mean, ((Normalization) o).mean)
                && Arrays.equals(std, ((Normalization) o).std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }
}

package dev.infopro.dl4j.data;

import java.util.Arrays;

/**
 * Per-channel normalisation applied to images scaled to [0, 1]: {@code x = (v/255 - mean[c]) / std[c]}. The
 * reconstruction target in [0, 1] is recovered as {@code x01 = x * std[c] + mean[c]}.
 */
public final class Normalization {
    private final float[] mean;
    private final float[] std;

    /**
     * @param mean per-channel mean (in [0, 1] units)
     * @param std  per-channel standard deviation (positive)
     */
    public Normalization(float[] mean, float[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std need the same, non-zero length: " + mean.length + " vs "
                    + std.length);
        }
        for (float s : std) {
            if (!(s > 0) || Float.isInfinite(s)) {
                throw new IllegalArgumentException("std must be positive and finite: " + Arrays.toString(std));
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
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
     * The identity on [0, 1] data (mean 0, std 1): pixels are only scaled by 1/255.
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

    /** @return a copy of the per-channel means */
    public float[] mean() {
        return mean.clone();
    }

    /** @return a copy of the per-channel standard deviations */
    public float[] std() {
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
        return (value / 255f - mean[channel]) / std[channel];
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

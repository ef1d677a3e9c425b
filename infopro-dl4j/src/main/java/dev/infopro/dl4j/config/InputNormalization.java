package dev.infopro.dl4j.config;

import lombok.AccessLevel;
import lombok.EqualsAndHashCode;
import lombok.NoArgsConstructor;
import lombok.ToString;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-channel mean and standard deviation with which the network's input was normalised; the reconstruction
 * target is the de-normalised image x01 = x * std + mean (spec 2.3).
 */
@EqualsAndHashCode
@ToString
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public final class InputNormalization implements Serializable {

    private final double[] mean;
    private final double[] std;

    private InputNormalization(double[] mean, double[] std) {
        this.mean = mean;
        this.std = std;
    }

    /**
     * @param mean per-channel mean (one value per input channel)
     * @param std  per-channel standard deviation, same length as mean, all &gt; 0
     */
    public static InputNormalization of(double[] mean, double[] std) {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("inputNormalization needs mean and std of equal, non-zero length (one"
                    + " value per channel), got mean=" + Arrays.toString(mean) + " std=" + Arrays.toString(std));
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("Every std must be > 0, got " + Arrays.toString(std));
            }
        }
        return new InputNormalization(mean.clone(), std.clone());
    }

    /** The identity (mean 0, std 1) for {@code channels} channels: the input already is in [0, 1]. */
    public static InputNormalization identity(int channels) {
        double[] m = new double[channels];
        double[] s = new double[channels];
        Arrays.fill(s, 1.0);
        return new InputNormalization(m, s);
    }

    public double[] getMean() {
        return mean.clone();
    }

    public double[] getStd() {
        return std.clone();
    }

    /**
     * De-normalises {@code x} (channels on dimension 1, e.g. [N,C,H,W] or [N,C]) into a new array.
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
}

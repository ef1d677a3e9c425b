package dev.infopro.dl4j.heads;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The layers the reference's networks and heads are made of, as SameDiff sub-graphs with DL4J's parameter names and
 * layouts: {@code name + "_W"} (conv {@code [out, in, kH, kW]}, dense {@code [in, out]}), {@code name + "_b"},
 * {@code name + "_gamma"}, {@code name + "_beta"}, and batch norm's running statistics {@code name + "_mean"} /
 * {@code name + "_var"}. With those names a DL4J layer's parameters copy onto its SameDiff twin by key. The
 * initialisation is the reference's (He fan-out normal convolutions, PyTorch's default uniform biases and dense
 * weights).
 *
 * <p>Batch norm (docs/method.md §2.1: eps 1e-5, PyTorch momentum 0.1) is written out by hand because SameDiff's
 * {@code batchNorm} op only uses the statistics it is given. In training mode it normalises with the batch's mean
 * and biased variance and also defines, off the loss path, {@code name + "_batchMean"} and
 * {@code name + "_batchVar"} (the unbiased variance, as PyTorch's running average uses): the trainer reads them and
 * updates the running statistics. In inference mode it uses the constants {@code name + "_mean"} and
 * {@code name + "_var"}.
 */
public final class SameDiffLayers {
    /** PyTorch BatchNorm2d's eps. */
    public static final double BN_EPS = 1e-5;
    /** Suffix of a training-mode batch norm's batch mean (per channel). */
    public static final String BATCH_MEAN = "_batchMean";
    /** Suffix of a training-mode batch norm's unbiased batch variance (per channel). */
    public static final String BATCH_VAR = "_batchVar";
    /** Suffix of an inference-mode batch norm's running mean constant. */
    public static final String RUNNING_MEAN = "_mean";
    /** Suffix of an inference-mode batch norm's running variance constant. */
    public static final String RUNNING_VAR = "_var";

    private SameDiffLayers() {
    }

    /**
     * A square convolution, padding {@code k / 2}, NCHW.
     *
     * @param bias whether it has a bias (the reference's backbone convolutions have none)
     */
    public static SDVariable conv(SameDiff sd, SDVariable x, String name, long in, long out, int k, int stride,
                                  boolean bias) {
        DataType dt = x.dataType();
        // DL4J layout [out, in, kH, kW]; He fan-out normal as the reference.
        INDArray w = Nd4j.randn(dt, out, in, k, k).muli(Math.sqrt(2.0 / (out * (double) k * k)));
        SDVariable wv = sd.var(name + "_W", w);
        Conv2DConfig cfg = Conv2DConfig.builder().kH(k).kW(k).sH(stride).sW(stride).pH(k / 2).pW(k / 2).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").build();
        SDVariable yxio = wv.permute(2, 3, 1, 0);
        if (bias) {
            double bound = 1.0 / Math.sqrt(in * (double) k * k);
            SDVariable b = sd.var(name + "_b", Nd4j.rand(dt, out).muli(2 * bound).subi(bound));
            return sd.cnn.conv2d(x, yxio, b, cfg);
        }
        return sd.cnn.conv2d(x, yxio, cfg);
    }

    /** A fully connected layer {@code x W + b} (mmul + add: backprop through {@code sd.nn.linear} is broken in M2.1).*/
    public static SDVariable dense(SameDiff sd, SDVariable x, String name, long in, long out) {
        DataType dt = x.dataType();
        double bound = 1.0 / Math.sqrt(in);
        SDVariable w = sd.var(name + "_W", Nd4j.rand(dt, in, out).muli(2 * bound).subi(bound));
        SDVariable b = sd.var(name + "_b", Nd4j.rand(dt, out).muli(2 * bound).subi(bound));
        return x.mmul(w).add(b);
    }

    /**
     * Batch norm over the channels of NCHW {@code x} (see the class comment for the two modes).
     *
     * @param training batch statistics (and the batch-moment outputs) when true, the running statistics when false
     */
    public static SDVariable batchNorm(SameDiff sd, SDVariable x, String name, long channels, boolean training) {
        DataType dt = x.dataType();
        SDVariable gamma = sd.var(name + "_gamma", Nd4j.ones(dt, channels)).reshape(1, channels, 1, 1);
        SDVariable beta = sd.var(name + "_beta", Nd4j.zeros(dt, channels)).reshape(1, channels, 1, 1);
        SDVariable centred;
        SDVariable var;
        if (training) {
            SDVariable mean = x.mean(true, 0, 2, 3);
            centred = x.sub(mean);
            SDVariable sq = sd.math.square(centred);
            var = sq.mean(true, 0, 2, 3);
            // Running-average inputs, evaluated only when the trainer asks for them.
            mean.reshape(channels).rename(name + BATCH_MEAN);
            SDVariable count = sd.onesLike(x).sum(0, 2, 3);
            sq.sum(0, 2, 3).div(count.sub(1.0)).rename(name + BATCH_VAR);
        } else {
            SDVariable mean = sd.constant(name + RUNNING_MEAN, Nd4j.zeros(dt, channels));
            var = sd.constant(name + RUNNING_VAR, Nd4j.ones(dt, channels)).reshape(1, channels, 1, 1);
            centred = x.sub(mean.reshape(1, channels, 1, 1));
        }
        SDVariable xhat = centred.div(sd.math.sqrt(var.add(BN_EPS)));
        return xhat.mul(gamma).add(beta);
    }
}

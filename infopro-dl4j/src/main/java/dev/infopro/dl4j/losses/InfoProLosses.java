package dev.infopro.dl4j.losses;

import dev.infopro.dl4j.heads.AuxClassifierHead;
import dev.infopro.dl4j.heads.HeadContext;
import dev.infopro.dl4j.heads.HeadLoss;
import dev.infopro.dl4j.heads.ReconstructionHead;
import dev.infopro.dl4j.layers.BilinearInterpolation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * InfoPro's local loss as SameDiff functions (the same definitions as the DL4J layers and losses of this library),
 * for users who build modules in SameDiff. Gradients come from SameDiff's autodiff; every function is built from
 * differentiable primitives (bilinear resizing from matmuls with constant interpolation matrices), so they are
 * exact.
 *
 * <p>Variables created by {@link #infoPro} are named {@code prefix + <DL4J parameter key>} with DL4J's layouts
 * (conv weights {@code [out, in, kH, kW]}, dense weights {@code [in, out]}, biases and BN gamma/beta rank 1), so
 * weights can be copied between a DL4J graph with the same heads and this SameDiff graph. Batch norm runs in
 * training mode (batch statistics, biased variance); running statistics are not tracked here.
 */
public final class InfoProLosses {
    private InfoProLosses() {
    }

    /**
     * Single-view SupCon (spec 2.5), mean over the N anchors, temperature = base temperature.
     *
     * @param sd     the graph
     * @param z      projections {@code [N, D]} before normalisation
     * @param labels one-hot labels {@code [N, K]}
     * @param tau    temperature, {@code > 0}
     * @return the scalar loss
     */
    public static SDVariable supCon(SameDiff sd, SDVariable z, SDVariable labels, double tau) {
        if (!(tau > 0) || Double.isInfinite(tau)) {
            throw new IllegalArgumentException("supCon temperature must be finite and > 0, got " + tau);
        }
        SDVariable norm = sd.math.clipByValue(z.norm2(true, 1), LossSupCon.NORM_EPS, Double.MAX_VALUE);
        SDVariable zn = z.div(norm);
        SDVariable s = zn.mmul(sd.transpose(zn)).div(tau);
        // Row max (self term included) as in the reference; it cancels analytically in the log-probabilities.
        SDVariable m = s.max(true, 1);
        SDVariable shifted = s.sub(m);
        SDVariable ones = sd.onesLike(labels.sum(1));
        SDVariable offDiag = sd.math.diag(ones).rsub(1.0);
        SDVariable denom = sd.math.exp(shifted).mul(offDiag).sum(true, 1);
        SDVariable logProb = shifted.sub(sd.math.log(denom));
        SDVariable pos = labels.mmul(sd.transpose(labels)).mul(offDiag);
        SDVariable numPos = sd.math.clipByValue(pos.sum(true, 1), 1.0, Double.MAX_VALUE);
        SDVariable meanLogProbPos = pos.mul(logProb).sum(true, 1).div(numPos);
        return meanLogProbPos.mean().neg();
    }

    /**
     * PyTorch's {@code BCELoss} (mean over all elements, each log clamped at -100) of probabilities against targets.
     * Autodiff gives the derivative of this clamped expression (0 where a log is clamped), which equals PyTorch's
     * gradient except where the sigmoid saturates.
     *
     * @param sd         the graph
     * @param prediction probabilities in [0, 1], any shape
     * @param target     targets in [0, 1], same shape
     * @return the scalar loss
     */
    public static SDVariable reconstructionBce(SameDiff sd, SDVariable prediction, SDVariable target) {
        double clamp = LossBinaryCrossEntropy.LOG_CLAMP;
        SDVariable logP = sd.math.clipByValue(sd.math.log(prediction), clamp, Double.MAX_VALUE);
        SDVariable log1mP = sd.math.clipByValue(sd.math.log(prediction.rsub(1.0)), clamp, Double.MAX_VALUE);
        return target.mul(logP).add(target.rsub(1.0).mul(log1mP)).mean().neg();
    }

    /**
     * Bilinear resize with {@code align_corners = true} of NCHW {@code x} whose channel, height and width are
     * known in its static shape.
     *
     * @param sd   the graph
     * @param x    {@code [N, C, H, W]}, C/H/W known (N may be -1)
     * @param outH output height, {@code >= 1}
     * @param outW output width, {@code >= 1}
     * @return {@code [N, C, outH, outW]}
     */
    public static SDVariable bilinearUpsample(SameDiff sd, SDVariable x, long outH, long outW) {
        long[] shape = x.getShape();
        if (shape == null || shape.length != 4 || shape[1] < 1 || shape[2] < 1 || shape[3] < 1) {
            throw new IllegalArgumentException("bilinearUpsample needs x of rank 4 [N,C,H,W] with known C, H, W; got "
                    + (shape == null ? "an unknown shape" : java.util.Arrays.toString(shape))
                    + ". Declare the placeholder with its shape, e.g. placeHolder(name, type, -1, C, H, W)");
        }
        return bilinearUpsample(sd, x, shape[1], shape[2], shape[3], outH, outW);
    }

    /**
     * As {@link #bilinearUpsample(SameDiff, SDVariable, long, long)} with the input's C, H, W given.
     */
    public static SDVariable bilinearUpsample(SameDiff sd, SDVariable x, long c, long h, long w, long outH, long outW) {
        DataType dt = x.dataType();
        INDArray aH = BilinearInterpolation.matrix(h, outH, dt);
        INDArray aWt = BilinearInterpolation.matrix(w, outW, dt).transpose().dup('c');
        SDVariable t = x.reshape(-1, w).mmul(sd.constant(aWt));            // [N*C*H, W']
        SDVariable tH = t.reshape(-1, h, outW).permute(1, 0, 2).reshape(h, -1); // [H, S*W']
        SDVariable y = sd.constant(aH).mmul(tH);                             // [H', S*W']
        return y.reshape(outH, -1, outW).permute(1, 0, 2).reshape(-1, c, outH, outW);
    }

    /**
     * One module's InfoPro local loss (spec 1.3):
     * {@code lambda1 * BCE(decoder(h), x01) + lambda2 * L_aux(head(h), y)}, with the decoder and head built as
     * SameDiff sub-graphs exactly as {@link ReconstructionHead} and {@link AuxClassifierHead} build them in DL4J.
     *
     * @param sd        the graph
     * @param h         module output {@code [N, C, H, W]}
     * @param x01       de-normalised image {@code [N, imageChannels, imageHeight, imageWidth]} in [0, 1]
     * @param labels    one-hot labels {@code [N, numClasses]}
     * @param lambda1   weight of the reconstruction term
     * @param lambda2   weight of the auxiliary term
     * @param decoder   the decoder, or null for none (Greedy SL)
     * @param head      the classifier / projection head, or null for none
     * @param hChannels C, channels of h
     * @param hHeight   H of h
     * @param hWidth    W of h
     * @param context   classes and image shape
     * @param prefix    prefix of every variable name, e.g. {@code "m1_"}
     * @return the scalar local loss
     */
    public static SDVariable infoPro(SameDiff sd, SDVariable h, SDVariable x01, SDVariable labels, double lambda1,
                                     double lambda2, ReconstructionHead decoder, AuxClassifierHead head,
                                     long hChannels, long hHeight, long hWidth, HeadContext context, String prefix) {
        if (decoder == null && head == null) {
            throw new IllegalArgumentException("infoPro needs a decoder, a head, or both");
        }
        SDVariable total = null;
        if (decoder != null) {
            SDVariable rec = decoder(sd, h, decoder, hChannels, hHeight, hWidth, context, prefix + "dec_");
            total = reconstructionBce(sd, rec, x01).mul(lambda1);
        }
        if (head != null) {
            SDVariable aux = auxHead(sd, h, labels, head, hChannels, context, prefix + "aux_");
            SDVariable term = aux.mul(lambda2);
            total = total == null ? term : total.add(term);
        }
        return total;
    }

    /** The decoder of {@link ReconstructionHead}; returns the sigmoid output. Names: {@code prefix + conv1_W...}. */
    public static SDVariable decoder(SameDiff sd, SDVariable h, ReconstructionHead decoder, long hChannels,
                                     long hHeight, long hWidth, HeadContext context, String prefix) {
        long ih = context.getImageHeight(), iw = context.getImageWidth(), ic = context.getImageChannels();
        if (ih < 1 || iw < 1 || ic < 1) {
            throw new IllegalArgumentException("decoder needs the image shape in the HeadContext, got "
                    + ic + "x" + ih + "x" + iw);
        }
        int hidden = decoder.hiddenChannels();
        DataType dt = h.dataType();
        SDVariable up = bilinearUpsample(sd, h, hChannels, hHeight, hWidth, ih, iw);
        SDVariable c1 = conv3x3(sd, up, prefix + "conv1", hChannels, hidden, 1, true, dt);
        SDVariable a1 = sd.nn.relu(batchNorm(sd, c1, prefix + "bn", hidden, dt), 0.0);
        SDVariable c2 = conv3x3(sd, a1, prefix + "conv2", hidden, ic, 1, true, dt);
        return sd.nn.sigmoid(c2);
    }

    /** The head of {@link AuxClassifierHead}; returns its weighted-by-1 loss (CE or SupCon). */
    public static SDVariable auxHead(SameDiff sd, SDVariable h, SDVariable labels, AuxClassifierHead head,
                                     long hChannels, HeadContext context, String prefix) {
        DataType dt = h.dataType();
        SDVariable cur = h;
        long ch = hChannels;
        long[][] plan = head.convPlan(hChannels);
        for (int i = 0; i < plan.length; i++) {
            String n = String.valueOf(i + 1);
            SDVariable c = conv3x3(sd, cur, prefix + "conv" + n, ch, plan[i][0], (int) plan[i][1], false, dt);
            cur = sd.nn.relu(batchNorm(sd, c, prefix + "bn" + n, plan[i][0], dt), 0.0);
            ch = plan[i][0];
        }
        SDVariable feat = cur.mean(2, 3); // global average pool -> [N, C]
        long features = ch;
        int fcs = head.getConfig().fcs();
        for (int j = 1; j < fcs; j++) {
            feat = sd.nn.relu(dense(sd, feat, prefix + "fc" + j, features, head.hiddenWidth(), dt), 0.0);
            features = head.hiddenWidth();
        }
        if (head.getLoss() == HeadLoss.SOFTMAX) {
            SDVariable logits = dense(sd, feat, prefix + "out", features, context.getNumClasses(), dt);
            // log-softmax written out: SDNN.logSoftmax(x, dim) fails to configure its op in M2.1.
            SDVariable shifted = logits.sub(logits.max(true, 1));
            SDVariable logP = shifted.sub(sd.math.log(sd.math.exp(shifted).sum(true, 1)));
            return logP.mul(labels).sum(1).mean().neg();
        }
        SDVariable proj = dense(sd, feat, prefix + "out", features, head.getFeatureDim(), dt);
        return supCon(sd, proj, labels, head.getTemperature());
    }

    private static SDVariable conv3x3(SameDiff sd, SDVariable x, String name, long in, long out, int stride,
                                      boolean bias, DataType dt) {
        // DL4J layout [out, in, kH, kW]; He fan-out normal as the reference.
        INDArray w = Nd4j.randn(dt, out, in, 3, 3).muli(Math.sqrt(2.0 / (out * 9.0)));
        SDVariable wv = sd.var(name + "_W", w);
        Conv2DConfig cfg = Conv2DConfig.builder().kH(3).kW(3).sH(stride).sW(stride).pH(1).pW(1).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").build();
        SDVariable yxio = wv.permute(2, 3, 1, 0);
        if (bias) {
            double bound = 1.0 / Math.sqrt(in * 9.0);
            SDVariable b = sd.var(name + "_b", Nd4j.rand(dt, out).muli(2 * bound).subi(bound));
            return sd.cnn.conv2d(x, yxio, b, cfg);
        }
        return sd.cnn.conv2d(x, yxio, cfg);
    }

    private static SDVariable batchNorm(SameDiff sd, SDVariable x, String name, long channels, DataType dt) {
        SDVariable gamma = sd.var(name + "_gamma", Nd4j.ones(dt, channels));
        SDVariable beta = sd.var(name + "_beta", Nd4j.zeros(dt, channels));
        SDVariable mean = x.mean(true, 0, 2, 3);
        SDVariable centred = x.sub(mean);
        SDVariable var = sd.math.square(centred).mean(true, 0, 2, 3);
        SDVariable xhat = centred.div(sd.math.sqrt(var.add(1e-5))); // PyTorch BatchNorm2d eps
        return xhat.mul(gamma.reshape(1, channels, 1, 1)).add(beta.reshape(1, channels, 1, 1));
    }

    private static SDVariable dense(SameDiff sd, SDVariable x, String name, long in, long out, DataType dt) {
        double bound = 1.0 / Math.sqrt(in);
        SDVariable w = sd.var(name + "_W", Nd4j.rand(dt, in, out).muli(2 * bound).subi(bound));
        SDVariable b = sd.var(name + "_b", Nd4j.rand(dt, out).muli(2 * bound).subi(bound));
        return x.mmul(w).add(b);
    }
}

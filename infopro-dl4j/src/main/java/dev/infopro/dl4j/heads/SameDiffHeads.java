package dev.infopro.dl4j.heads;

import dev.infopro.dl4j.losses.InfoProLosses;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * InfoPro's auxiliary networks and the whole local objective as SameDiff sub-graphs, the twins of
 * {@link ReconstructionHead} and {@link AuxClassifierHead} for users who build modules in SameDiff; the losses they
 * end in are {@link InfoProLosses}.
 *
 * <p>Variables created here are named {@code prefix + <DL4J parameter key>} with DL4J's layouts (conv weights
 * {@code [out, in, kH, kW]}, dense weights {@code [in, out]}, biases and BN gamma/beta rank 1), so weights can be
 * copied between a DL4J graph with the same heads and this SameDiff graph. Batch norm runs in training mode (batch
 * statistics, biased variance); running statistics are not tracked here.
 */
public final class SameDiffHeads {
    private SameDiffHeads() {
    }

    /**
     * One module's InfoPro local loss (docs/method.md §1.3):
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
            total = InfoProLosses.reconstructionBce(sd, rec, x01).mul(lambda1);
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
        SDVariable up = InfoProLosses.bilinearUpsample(sd, h, hChannels, hHeight, hWidth, ih, iw);
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
        return InfoProLosses.supCon(sd, proj, labels, head.getTemperature());
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

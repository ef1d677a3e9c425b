package dev.infopro.dl4j.heads;

import dev.infopro.dl4j.losses.InfoProLosses;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * InfoPro's auxiliary networks and the whole local objective as SameDiff sub-graphs, the twins of
 * {@link ReconstructionHead} and {@link AuxClassifierHead} for users who build modules in SameDiff; the losses they
 * end in are {@link InfoProLosses}.
 *
 * <p>Variables created here are named {@code prefix + <DL4J parameter key>} with DL4J's layouts (conv weights
 * {@code [out, in, kH, kW]}, dense weights {@code [in, out]}, biases and BN gamma/beta rank 1), so weights can be
 * copied between a DL4J graph with the same heads and this SameDiff graph. The layers are {@link SameDiffLayers};
 * batch norm runs in training mode (heads are used in training only).
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
        return infoPro(sd, h, x01, labels, lambda1, lambda2, decoder, head, hChannels, hHeight, hWidth, context,
                prefix + "dec_", prefix + "aux_");
    }

    /**
     * As {@link #infoPro(SameDiff, SDVariable, SDVariable, SDVariable, double, double, ReconstructionHead,
     * AuxClassifierHead, long, long, long, HeadContext, String)} with each head's own variable-name prefix (a local
     * module of this library uses DL4J's head names {@code m<k>h0_} and {@code m<k>h1_}). The unweighted head
     * losses are named {@code decoderPrefix + "loss"} and {@code headPrefix + "loss"}.
     */
    public static SDVariable infoPro(SameDiff sd, SDVariable h, SDVariable x01, SDVariable labels, double lambda1,
                                     double lambda2, ReconstructionHead decoder, AuxClassifierHead head,
                                     long hChannels, long hHeight, long hWidth, HeadContext context,
                                     String decoderPrefix, String headPrefix) {
        if (decoder == null && head == null) {
            throw new IllegalArgumentException("infoPro needs a decoder, a head, or both");
        }
        SDVariable total = null;
        if (decoder != null) {
            SDVariable z = decoderLogits(sd, h, decoder, hChannels, hHeight, hWidth, context, decoderPrefix);
            total = InfoProLosses.reconstructionBceFromLogits(sd, z, x01).rename(decoderPrefix + "loss").mul(lambda1);
        }
        if (head != null) {
            SDVariable aux = auxHead(sd, h, labels, head, hChannels, context, headPrefix).rename(headPrefix + "loss");
            SDVariable term = aux.mul(lambda2);
            total = total == null ? term : total.add(term);
        }
        return total;
    }

    /** The decoder of {@link ReconstructionHead}; returns the sigmoid output. Names: {@code prefix + conv1_W...}. */
    public static SDVariable decoder(SameDiff sd, SDVariable h, ReconstructionHead decoder, long hChannels,
                                     long hHeight, long hWidth, HeadContext context, String prefix) {
        return sd.nn.sigmoid(decoderLogits(sd, h, decoder, hChannels, hHeight, hWidth, context, prefix));
    }

    /** The decoder of {@link ReconstructionHead} up to its last convolution: the logits of the rebuilt image. */
    public static SDVariable decoderLogits(SameDiff sd, SDVariable h, ReconstructionHead decoder, long hChannels,
                                     long hHeight, long hWidth, HeadContext context, String prefix) {
        long ih = context.getImageHeight(), iw = context.getImageWidth(), ic = context.getImageChannels();
        if (ih < 1 || iw < 1 || ic < 1) {
            throw new IllegalArgumentException("decoder needs the image shape in the HeadContext, got "
                    + ic + "x" + ih + "x" + iw);
        }
        int hidden = decoder.hiddenChannels();
        SDVariable up = InfoProLosses.bilinearUpsample(sd, h, hChannels, hHeight, hWidth, ih, iw);
        SDVariable c1 = SameDiffLayers.conv(sd, up, prefix + "conv1", hChannels, hidden, 3, 1, true);
        SDVariable a1 = sd.nn.relu(SameDiffLayers.batchNorm(sd, c1, prefix + "bn", hidden, true), 0.0);
        return SameDiffLayers.conv(sd, a1, prefix + "conv2", hidden, ic, 3, 1, true);
    }

    /** The head of {@link AuxClassifierHead}; returns its weighted-by-1 loss (CE or SupCon). */
    public static SDVariable auxHead(SameDiff sd, SDVariable h, SDVariable labels, AuxClassifierHead head,
                                     long hChannels, HeadContext context, String prefix) {
        SDVariable cur = h;
        long ch = hChannels;
        long[][] plan = head.convPlan(hChannels);
        for (int i = 0; i < plan.length; i++) {
            String n = String.valueOf(i + 1);
            SDVariable c = SameDiffLayers.conv(sd, cur, prefix + "conv" + n, ch, plan[i][0], 3, (int) plan[i][1],
                    false);
            cur = sd.nn.relu(SameDiffLayers.batchNorm(sd, c, prefix + "bn" + n, plan[i][0], true), 0.0);
            ch = plan[i][0];
        }
        SDVariable feat = cur.mean(2, 3); // global average pool -> [N, C]
        long features = ch;
        int fcs = head.getConfig().fcs();
        for (int j = 1; j < fcs; j++) {
            feat = sd.nn.relu(SameDiffLayers.dense(sd, feat, prefix + "fc" + j, features, head.hiddenWidth()), 0.0);
            features = head.hiddenWidth();
        }
        if (head.getLoss() == HeadLoss.SOFTMAX) {
            SDVariable logits = SameDiffLayers.dense(sd, feat, prefix + "out", features, context.getNumClasses());
            return InfoProLosses.softmaxCrossEntropy(sd, logits, labels);
        }
        SDVariable proj = SameDiffLayers.dense(sd, feat, prefix + "out", features, head.getFeatureDim());
        return InfoProLosses.supCon(sd, proj, labels, head.getTemperature());
    }
}

package dev.infopro.dl4j.losses;

import dev.infopro.dl4j.layers.BilinearInterpolation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;

/**
 * InfoPro's losses as SameDiff functions (the same definitions as the DL4J layers and losses of this library),
 * for users who build modules in SameDiff. Gradients come from SameDiff's autodiff; every function is built from
 * differentiable primitives (bilinear resizing from matmuls with constant interpolation matrices), so they are
 * exact. The whole local objective with the decoder and auxiliary head built in SameDiff is
 * {@code dev.infopro.dl4j.heads.SameDiffHeads}.
 */
public final class InfoProLosses {
    private InfoProLosses() {
    }

    /**
     * Single-view SupCon (docs/method.md §2.5), mean over the N anchors, temperature = base temperature.
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
        // The same shift and clamp as LossSupCon (see there): the maximum over k != i, so no sum underflows, and a
        // sum of 1 for a batch of one, which has no sample to contrast with. Both cancel in the log-probabilities.
        SDVariable ones = sd.onesLike(labels.sum(1));
        SDVariable eye = sd.math.diag(ones);
        SDVariable lowered = s.sub(eye.mul(2 / tau + 1));
        SDVariable m = lowered.max(true, 1);
        SDVariable shifted = s.sub(m);
        SDVariable offDiag = eye.rsub(1.0);
        SDVariable e = sd.math.exp(lowered.sub(m)).mul(offDiag);
        SDVariable denom = sd.math.clipByValue(e.sum(true, 1), 1.0, Double.MAX_VALUE);
        SDVariable logProb = shifted.sub(sd.math.log(denom));
        SDVariable pos = labels.mmul(sd.transpose(labels)).mul(offDiag);
        SDVariable numPos = sd.math.clipByValue(pos.sum(true, 1), 1.0, Double.MAX_VALUE);
        SDVariable meanLogProbPos = pos.mul(logProb).sum(true, 1).div(numPos);
        return meanLogProbPos.mean().neg();
    }

    /**
     * Softmax cross-entropy of logits against one-hot labels, mean over the batch (DL4J's MCXENT output layer,
     * PyTorch's {@code CrossEntropyLoss}). The log-softmax is written out: {@code SDNN.logSoftmax(x, dim)} fails to
     * configure its op in M2.1.
     *
     * @param sd     the graph
     * @param logits {@code [N, K]}
     * @param labels one-hot {@code [N, K]}
     * @return the scalar loss
     */
    public static SDVariable softmaxCrossEntropy(SameDiff sd, SDVariable logits, SDVariable labels) {
        SDVariable shifted = logits.sub(logits.max(true, 1));
        SDVariable logP = shifted.sub(sd.math.log(sd.math.exp(shifted).sum(true, 1)));
        return logP.mul(labels).sum(1).mean().neg();
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
     * {@link #reconstructionBce} of {@code sigmoid(logits)} with PyTorch's gradient, the decoder's loss in
     * {@code SameDiffHeads} (the twin of {@link LossBinaryCrossEntropy}). The value is written on the logits,
     * {@code log p = -softplus(-z)} and {@code log(1 - p) = -softplus(z)}, each clamped at -100 as in
     * {@code BCELoss}. The gradient is PyTorch's autograd of {@code BCELoss(sigmoid(z))}: {@code dL/dp = (p - y) /
     * max(p (1 - p), 1e-12)} times {@code p (1 - p)}, i.e. {@code (p - y) * min(1, p (1 - p) / 1e-12) / n}. It
     * differs from the exact {@code (p - y) / n} on saturated pixels (|z| &gt; ~27.6 in double), which do occur in the
     * reference's decoders (the parity fixture: decoder gradients 1e-5 relative apart). The difference enters as
     * {@code k * z - stopGradient(k * z)}, zero in value, with {@code k} a constant; autodiff through an explicit
     * sigmoid could not give it (and loses precision dividing by a rounded {@code 1 - p}).
     *
     * @param sd     the graph
     * @param logits pre-sigmoid values, any shape
     * @param target targets in [0, 1], same shape
     * @return the scalar loss
     */
    public static SDVariable reconstructionBceFromLogits(SameDiff sd, SDVariable logits, SDVariable target) {
        double clamp = LossBinaryCrossEntropy.LOG_CLAMP;
        SDVariable logP = sd.math.clipByValue(sd.nn.softplus(logits.neg()).neg(), clamp, Double.MAX_VALUE);
        SDVariable log1mP = sd.math.clipByValue(sd.nn.softplus(logits).neg(), clamp, Double.MAX_VALUE);
        SDVariable bce = target.mul(logP).add(target.rsub(1.0).mul(log1mP)).mean().neg();
        SDVariable p = sd.nn.sigmoid(logits);
        SDVariable damp = sd.math.clipByValue(p.mul(p.rsub(1.0)).div(LossBinaryCrossEntropy.GRAD_EPS),
                -Double.MAX_VALUE, 1.0).sub(1.0);                       // 0 unless saturated
        SDVariable k = stopGradient(sd, p.sub(target).mul(damp));
        SDVariable kz = k.mul(logits);
        return bce.add(kz.sub(stopGradient(sd, kz)).mean());
    }

    /**
     * {@code x} in value with a zero gradient: SameDiff has the op ({@link StopGradient}) but no method for it.
     */
    public static SDVariable stopGradient(SameDiff sd, SDVariable x) {
        return new StopGradient(sd, x).outputVariable();
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
}

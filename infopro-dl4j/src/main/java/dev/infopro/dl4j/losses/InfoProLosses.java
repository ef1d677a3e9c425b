package dev.infopro.dl4j.losses;

import dev.infopro.dl4j.layers.BilinearInterpolation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

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
}

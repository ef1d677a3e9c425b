package dev.infopro.dl4j.losses;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * Single-view supervised contrastive loss (Khosla et al.; docs/method.md §2.5), on {@code [N, D]} projections and
 * one-hot {@code [N, K]} labels:
 * <ol>
 *   <li>{@code z_i = a_i / max(||a_i||, 1e-12)}, {@code a = activation(preOutput)} (use identity);</li>
 *   <li>{@code s_ij = z_i . z_j / tau};</li>
 *   <li>{@code l_i = -(1/|P(i)|) sum_{j in P(i)} [s_ij - log sum_{k != i} exp(s_ik)]}, {@code P(i) = {j != i:
 *       y_j = y_i}}; {@code l_i = 0} when {@code P(i)} is empty (the anchor still counts in the mean).</li>
 * </ol>
 * The base temperature equals the temperature, so the reference's prefactor {@code tau / tau_base} is 1. The
 * maximum of {@code s_ik} over {@code k != i} is subtracted before the exponential, as a constant (it cancels
 * analytically), so no temperature makes the sums underflow. A batch of one example has no sample to contrast with:
 * its loss and gradient are 0.
 *
 * <p>Per-example score = {@code weight * l_i}; DL4J output layers average it over the mini-batch, giving
 * {@code weight * mean_i l_i}. {@link #computeGradient} is the exact analytic gradient of {@code sum_i weight * l_i}
 * through the L2 normalisation. Masks are not supported (a masked anchor would still act as a contrast sample).
 */
@Getter
@EqualsAndHashCode
public class LossSupCon implements ILossFunction {
    /** The reference's temperature. */
    public static final double DEFAULT_TEMPERATURE = 0.07;
    /** Lower bound of the L2 norm in the normalisation (PyTorch's {@code F.normalize} default). */
    public static final double NORM_EPS = 1e-12;

    private final double temperature;
    private final double weight;

    /** Temperature 0.07, weight 1. */
    public LossSupCon() {
        this(DEFAULT_TEMPERATURE, 1.0);
    }

    /**
     * @param temperature tau, finite and {@code > 0}
     * @param weight      factor on the loss (lambda), finite and {@code >= 0}
     */
    @JsonCreator
    public LossSupCon(@JsonProperty("temperature") double temperature, @JsonProperty("weight") double weight) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("LossSupCon temperature must be finite and > 0 (the reference uses "
                    + DEFAULT_TEMPERATURE + "), got " + temperature);
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("LossSupCon weight must be finite and >= 0, got " + weight);
        }
        this.temperature = temperature;
        this.weight = weight;
    }

    /** Checks that {@code labels} is a one-hot {@code [N, K]} matrix with the batch size of {@code preOutput}. */
    static void validateOneHot(INDArray labels, long batch, String who) {
        if (labels == null || labels.rank() != 2) {
            throw new IllegalArgumentException(who + ": labels must be one-hot [N, numClasses], got "
                    + (labels == null ? "null" : "shape " + Arrays.toString(labels.shape())));
        }
        if (labels.size(0) != batch) {
            throw new IllegalArgumentException(who + ": labels have " + labels.size(0) + " rows but the batch has "
                    + batch + " examples; give one one-hot label row per example");
        }
        INDArray l = labels.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        double notBinary = Transforms.abs(l.mul(l.rsub(1.0)), false).maxNumber().doubleValue();
        INDArray rowSums = l.sum(1);
        double badSum = Transforms.abs(rowSums.subi(1.0), false).maxNumber().doubleValue();
        if (notBinary != 0.0 || badSum != 0.0) {
            throw new IllegalArgumentException(who + ": labels must be one-hot (each row one 1, the rest 0); "
                    + "convert class indices or soft labels to one-hot rows");
        }
    }

    private void check(INDArray labels, INDArray preOutput, INDArray mask) {
        if (mask != null) {
            throw new IllegalArgumentException("LossSupCon does not support masks: remove the label mask or "
                    + "drop the masked examples from the batch");
        }
        if (preOutput.rank() != 2) {
            throw new IllegalArgumentException("LossSupCon needs [N, featureDim] projections, got shape "
                    + Arrays.toString(preOutput.shape()));
        }
        validateOneHot(labels, preOutput.size(0), "LossSupCon");
    }

    /** Intermediate results shared by score and gradient. */
    private final class Forward {
        final INDArray z;          // [N, D] normalised
        final INDArray normClamped; // [N, 1] max(||a||, eps)
        final INDArray normBig;     // [N, 1] 1 where ||a|| > eps
        final INDArray q;           // [N, N] softmax over k != i, zero diagonal
        final INDArray pos;         // [N, N] positives mask
        final INDArray numPosSafe;  // [N, 1] max(|P(i)|, 1)
        final INDArray hasPos;      // [N, 1] 1 where |P(i)| > 0
        final INDArray scores;      // [N, 1] weight * l_i

        Forward(INDArray labels, INDArray preOutput, IActivation activationFn) {
            long n = preOutput.size(0);
            INDArray a = activationFn.getActivation(preOutput.dup(), true);
            INDArray norms = a.norm2(true, 1);
            normClamped = Transforms.max(norms, NORM_EPS, true);
            normBig = norms.gt(NORM_EPS).castTo(a.dataType());
            z = a.divColumnVector(normClamped);
            INDArray s = z.mmul(z.transpose()).divi(temperature);
            INDArray eye = Nd4j.eye(n).castTo(a.dataType());
            // Shift by the largest s_ik with k != i: every |s_ik| <= 1/tau, so lowering the diagonal by 2/tau + 1
            // keeps it out of the maximum. The reference shifts by the whole row's maximum, s_ii = 1/tau, which
            // cancels as well but lets every exp underflow to 0 (and the loss become NaN) when the other samples are
            // far from the anchor at a small temperature; this way each sum over k != i is at least 1. The lowered
            // diagonal also goes into the exponential, where s_ii itself could overflow (and inf * 0 is NaN).
            INDArray lowered = s.sub(eye.mul(2 / temperature + 1));
            INDArray max = lowered.max(true, 1);
            INDArray shifted = s.subColumnVector(max);
            INDArray offDiag = Nd4j.ones(a.dataType(), n, n).subi(eye);
            INDArray e = Transforms.exp(lowered.subiColumnVector(max), false).muli(offDiag);
            // A batch of one has no sample to contrast with: its sum is 0. Clamping it to 1 keeps l = 0 and a zero
            // gradient there, where 0 * log 0 would make them NaN; it changes nothing for two samples or more.
            INDArray denom = Transforms.max(e.sum(true, 1), 1.0, false);
            q = e.divColumnVector(denom);
            INDArray logProb = shifted.subColumnVector(Transforms.log(denom, true));
            INDArray y = labels.castTo(a.dataType());
            pos = y.mmul(y.transpose()).muli(offDiag);
            INDArray numPos = pos.sum(true, 1);
            hasPos = numPos.gt(0.0).castTo(a.dataType());
            numPosSafe = Transforms.max(numPos, 1.0, true);
            // Anchors without positives: the numerator sum is 0, so l_i = 0.
            scores = pos.mul(logProb).sum(true, 1).divi(numPosSafe).muli(-weight);
        }
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        check(labels, preOutput, mask);
        return new Forward(labels, preOutput, activationFn).scores;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        double s = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? s / preOutput.size(0) : s;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        check(labels, preOutput, mask);
        Forward f = new Forward(labels, preOutput, activationFn);
        // dL/ds_ik = weight * (q_ik - [k in P(i)] / |P(i)|) for anchors with positives, 0 otherwise.
        INDArray g = f.q.sub(f.pos.divColumnVector(f.numPosSafe)).muliColumnVector(f.hasPos).muli(weight);
        // s = z z^T / tau  =>  dL/dz = (G + G^T) z / tau
        INDArray dz = g.add(g.transpose()).mmul(f.z).divi(temperature);
        // z = a / max(||a||, eps): da = (dz - z (z . dz)) / ||a|| where ||a|| > eps, dz / eps otherwise.
        INDArray proj = f.z.mul(dz).sum(true, 1).muli(f.normBig);
        INDArray da = dz.sub(f.z.mulColumnVector(proj)).divColumnVector(f.normClamped);
        return activationFn.backprop(preOutput.dup(), da).getFirst();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public String toString() {
        return "LossSupCon(temperature=" + temperature + ", weight=" + weight + ")";
    }
}

package dev.infopro.dl4j.losses;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossUtil;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * Binary cross-entropy on probabilities {@code p = activation(preOutput)} (use a sigmoid activation), exactly as
 * PyTorch's {@code BCELoss}: {@code -(y * max(log p, -100) + (1 - y) * max(log(1 - p), -100))} per element.
 *
 * <p>Score of one row = {@code weight * sum_c bce / (columns * rowsPerExample)}. DL4J output layers divide the
 * summed row scores by the mini-batch size, so with {@code rowsPerExample} = the number of rows an example is split
 * into ({@code H * W} inside a {@code CnnLossLayer}, 1 in an {@code OutputLayer}/{@code LossLayer}) the layer score
 * is {@code weight * mean over all B*C*H*W elements}, which is PyTorch's {@code weight * BCELoss()(p, y)}.
 *
 * <p>The gradient reproduces PyTorch's autograd, not the derivative of the clamped expression:
 * {@code dL/dp = (p - y) / max(p (1 - p), 1e-12)}, then back through the activation. The two agree wherever the
 * sigmoid is not saturated ({@code p (1-p) > 1e-12}); matching PyTorch there is what parity with the reference
 * needs.
 */
@Getter
@EqualsAndHashCode
public class LossBinaryCrossEntropy implements ILossFunction {
    /** PyTorch's clamp of each log term. */
    public static final double LOG_CLAMP = -100.0;
    /** PyTorch's lower bound on {@code p (1 - p)} in BCELoss's backward. */
    public static final double GRAD_EPS = 1e-12;

    private final double weight;
    private final long rowsPerExample;

    /** Unweighted BCE, one row per example. */
    public LossBinaryCrossEntropy() {
        this(1.0, 1);
    }

    /**
     * @param weight         factor on the loss (lambda), finite and {@code >= 0}
     * @param rowsPerExample rows one example occupies in the output layer's 2-d view ({@code H*W} for a
     *                       {@code CnnLossLayer}), {@code >= 1}
     */
    @JsonCreator
    public LossBinaryCrossEntropy(@JsonProperty("weight") double weight,
                                  @JsonProperty("rowsPerExample") long rowsPerExample) {
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("LossBinaryCrossEntropy weight must be finite and >= 0, got " + weight);
        }
        if (rowsPerExample < 1) {
            throw new IllegalArgumentException("LossBinaryCrossEntropy rowsPerExample must be >= 1 (H*W for a "
                    + "CnnLossLayer, 1 otherwise), got " + rowsPerExample);
        }
        this.weight = weight;
        this.rowsPerExample = rowsPerExample;
    }

    private void check(INDArray labels, INDArray preOutput) {
        if (!Arrays.equals(labels.shape(), preOutput.shape())) {
            throw new IllegalArgumentException("LossBinaryCrossEntropy: labels shape " + Arrays.toString(labels.shape())
                    + " must equal the output shape " + Arrays.toString(preOutput.shape())
                    + "; the target is the image in [0,1] with the output's layout");
        }
    }

    private double scale(INDArray preOutput) {
        return weight / ((double) preOutput.size(1) * rowsPerExample);
    }

    /** Element-wise clamped BCE, [rows, columns]. */
    private INDArray elementScores(INDArray labels, INDArray preOutput, IActivation activationFn) {
        check(labels, preOutput);
        INDArray p = activationFn.getActivation(preOutput.dup(), true);
        INDArray logP = Transforms.max(Transforms.log(p, true), LOG_CLAMP, false);
        INDArray log1mP = Transforms.max(Transforms.log(p.rsub(1.0), false), LOG_CLAMP, false);
        INDArray y = labels.castTo(p.dataType());
        // -(y logP + (1-y) log1mP)
        return logP.muli(y).addi(log1mP.muli(y.rsub(1.0))).negi();
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray el = elementScores(labels, preOutput, activationFn);
        if (mask != null) {
            LossUtil.applyMask(el, mask);
        }
        return el.sum(true, 1).muli(scale(preOutput));
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        double s = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? s / preOutput.size(0) : s;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        check(labels, preOutput);
        INDArray p = activationFn.getActivation(preOutput.dup(), true);
        INDArray y = labels.castTo(p.dataType());
        INDArray denom = Transforms.max(p.mul(p.rsub(1.0)), GRAD_EPS, false);
        INDArray dLdp = p.sub(y).divi(denom).muli(scale(preOutput));
        INDArray grad = activationFn.backprop(preOutput.dup(), dLdp).getFirst();
        if (mask != null) {
            LossUtil.applyMask(grad, mask);
        }
        return grad;
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
        return "LossBinaryCrossEntropy(weight=" + weight + ", rowsPerExample=" + rowsPerExample + ")";
    }
}

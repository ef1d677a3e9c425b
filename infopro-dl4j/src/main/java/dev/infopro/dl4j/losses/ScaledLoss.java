package dev.infopro.dl4j.losses;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Multiplies another loss's score and gradient by a constant (InfoPro's lambda). DL4J's multi-output graphs have
 * no per-output loss weight, so the weight has to live in the loss function. Example: the softmax head uses
 * {@code new ScaledLoss(new LossMCXENT(), lambda2)}.
 */
@Getter
@EqualsAndHashCode
public class ScaledLoss implements ILossFunction {
    private final ILossFunction inner;
    private final double weight;

    /**
     * @param inner  the loss to scale, not null
     * @param weight the factor, finite and {@code >= 0}
     */
    @JsonCreator
    public ScaledLoss(@JsonProperty("inner") ILossFunction inner, @JsonProperty("weight") double weight) {
        if (inner == null) {
            throw new IllegalArgumentException("ScaledLoss needs an inner loss function, got null");
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("ScaledLoss weight must be finite and >= 0, got " + weight);
        }
        this.inner = inner;
        this.weight = weight;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        return weight * inner.computeScore(labels, preOutput, activationFn, mask, average);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return inner.computeScoreArray(labels, preOutput, activationFn, mask).muli(weight);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return inner.computeGradient(labels, preOutput, activationFn, mask).muli(weight);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        Pair<Double, INDArray> p = inner.computeGradientAndScore(labels, preOutput, activationFn, mask, average);
        return new Pair<>(weight * p.getFirst(), p.getSecond().muli(weight));
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public String toString() {
        return "ScaledLoss(" + weight + " * " + inner.name() + ")";
    }
}

package dev.infopro.dl4j.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PyTorch's coupled ("L2 in the gradient") weight decay, {@code g += wd * p}, applied before {@link TorchSgd}.
 * The spec applies it to every parameter, including batch-norm and bias parameters.
 */
public final class CoupledWeightDecay {

    private CoupledWeightDecay() {
    }

    /**
     * Adds {@code wd * params} to {@code gradient} in place.
     *
     * @param params   the parameters (not modified)
     * @param gradient the gradient, same shape as {@code params}; modified in place
     * @param wd       weight-decay factor; 0 leaves the gradient untouched
     * @return {@code gradient}, for chaining
     */
    public static INDArray apply(INDArray params, INDArray gradient, double wd) {
        if (!params.equalShapes(gradient)) {
            throw new IllegalArgumentException("params and gradient shapes differ: "
                    + java.util.Arrays.toString(params.shape()) + " vs " + java.util.Arrays.toString(gradient.shape()));
        }
        if (wd != 0) {
            // Same rounding as PyTorch's grad.add(p, alpha=wd): the product is rounded, then added.
            gradient.addi(params.mul(wd));
        }
        return gradient;
    }
}

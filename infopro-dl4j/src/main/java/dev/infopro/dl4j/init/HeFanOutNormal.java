package dev.infopro.dl4j.init;

import lombok.EqualsAndHashCode;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * He initialisation with fan-out, as the reference applies to every convolution:
 * {@code W ~ N(0, sqrt(2 / (kH * kW * outChannels)))}.
 *
 * <p>DL4J's own {@code WeightInit.RELU} uses fan-in, and DL4J's fan-out for convolutions divides by the stride, so
 * the fan-out is computed here from the weight shape {@code [out, in, kH, kW]} (dense weights {@code [in, out]}:
 * fan-out = out).
 */
@EqualsAndHashCode
public class HeFanOutNormal implements IWeightInit {

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        double std = Math.sqrt(2.0 / fanOut(shape));
        INDArray values = Nd4j.randn(paramView.dataType(), shape).muli(std);
        paramView.assign(values.reshape(order, paramView.shape()));
        return paramView.reshape(order, shape);
    }

    /** Fan-out as PyTorch counts it: out channels times kernel size (4-d) or columns (2-d [in, out]). */
    static long fanOut(long[] shape) {
        if (shape.length == 4) {
            return shape[0] * shape[2] * shape[3];
        }
        if (shape.length == 2) {
            return shape[1];
        }
        throw new IllegalArgumentException("HeFanOutNormal supports 2-d dense or 4-d convolution weights, got shape "
                + java.util.Arrays.toString(shape));
    }
}

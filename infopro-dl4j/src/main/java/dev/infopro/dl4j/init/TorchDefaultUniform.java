package dev.infopro.dl4j.init;

import lombok.EqualsAndHashCode;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PyTorch's default initialisation of {@code nn.Linear} weights (Kaiming-uniform with a = sqrt(5)), which reduces
 * to {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}. The fan-in is read from the shape: dense {@code [in, out]} gives
 * {@code in}; convolution {@code [out, in, kH, kW]} gives {@code in * kH * kW}.
 */
@EqualsAndHashCode
public class TorchDefaultUniform implements IWeightInit {

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        double bound = 1.0 / Math.sqrt(fanIn(shape));
        INDArray values = Nd4j.rand(paramView.dataType(), shape).muli(2 * bound).subi(bound);
        paramView.assign(values.reshape(order, paramView.shape()));
        return paramView.reshape(order, shape);
    }

    /** Fan-in as PyTorch counts it for a weight of the given DL4J shape. */
    public static long fanIn(long[] shape) {
        if (shape.length == 4) {
            return shape[1] * shape[2] * shape[3];
        }
        if (shape.length == 2) {
            return shape[0];
        }
        throw new IllegalArgumentException("TorchDefaultUniform supports 2-d dense or 4-d convolution weights, got shape "
                + java.util.Arrays.toString(shape));
    }
}
